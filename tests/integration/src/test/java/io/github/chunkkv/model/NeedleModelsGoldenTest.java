package io.github.chunkkv.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shipped retrieval models (needle-lm and its control, needle-ctl) reproduce, through Jlama and the ChunkKV path
 * with full KV, the PyTorch greedy continuations recorded with them (models/NAME/golden.json): same rendered prompt
 * ids, same 16 next tokens. This proves each export (weight layout, RoPE convention, tokenizer, chat template).
 */
class NeedleModelsGoldenTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"needle-lm", "needle-ctl"})
    void jlamaReproducesEveryRecordedPyTorchContinuation(String name) throws IOException {
        Path dir = Path.of(System.getProperty("chunkkv.repo.dir", "..")).resolve("models").resolve(name);
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
        JsonNode records = golden.get("records");
        assertTrue(records.size() >= 20, "at least 20 recorded prompts");
        try (AbstractModel jlama = ChunkKvJlama.loadJlamaModel(dir);
                ChunkKvModel model = ChunkKvJlama.wrap(jlama, ChunkKvConfig.full())) {
            int answered = 0;
            for (JsonNode record : records) {
                PromptSupport.Builder prompt = jlama.promptSupport().orElseThrow().builder();
                for (JsonNode m : record.get("messages")) {
                    if (m.get("role").asText().equals("user")) prompt.addUserMessage(m.get("content").asText());
                    else prompt.addAssistantMessage(m.get("content").asText());
                }
                int[] ids = model.encode(prompt.build(), true);
                assertArrayEquals(ints(record.get("prompt_ids")), ids, "prompt ids of a " + record.get("target_length") + "-token record");

                int[] expected = ints(record.get("greedy_ids"));
                try (KvSession session = model.openSession()) {
                    float[] logits = session.prefill(ids);
                    for (int i = 0; i < expected.length; i++) {
                        int next = Sampler.argmax(logits);
                        assertEquals(expected[i], next, "greedy token " + i + " of a " + ids.length + "-token prompt");
                        if (i + 1 < expected.length) logits = session.decode(next);
                    }
                }
                if (record.get("answer_correct").asBoolean()) answered++;
            }
            assertEquals(records.size(), answered, "every recorded answer is right");
        }
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
