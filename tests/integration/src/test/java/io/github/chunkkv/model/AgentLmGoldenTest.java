package io.github.chunkkv.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.prompt.Function;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import com.github.tjake.jlama.safetensors.prompt.Tool;
import com.github.tjake.jlama.safetensors.prompt.ToolCall;
import com.github.tjake.jlama.safetensors.prompt.ToolResult;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * The embedded tool-calling model, agent-lm, reproduces through Jlama the PyTorch greedy continuations recorded with it
 * (models/agent-lm/golden.json): Jlama's prompt support renders the same prompt ids from the records' tools, tool calls
 * and tool results, the next 16 tokens are the same, and Jlama's tool-call parser reads each recorded call as a
 * {@link ToolCall} of {@code lookup} with the asked key.
 */
class AgentLmGoldenTest {
    private static final Tool LOOKUP = Tool.from(Function.builder().name("lookup").description("looks a fact up by its key")
            .addParameter("key", Map.of("type", "string"), true).build());

    @Test
    void jlamaReproducesEveryRecordedPyTorchContinuationAndParsesTheCalls() throws IOException {
        Path dir = Path.of(System.getProperty("chunkkv.repo.dir", "..")).resolve("models").resolve("agent-lm");
        JsonNode records = new ObjectMapper().readTree(dir.resolve("golden.json").toFile()).get("records");
        assertTrue(records.size() >= 20, "at least 20 recorded prompts");
        try (AbstractModel jlama = ChunkKvJlama.loadJlamaModel(dir);
                ChunkKvModel model = ChunkKvJlama.wrap(jlama, ChunkKvConfig.full())) {
            int calls = 0;
            for (JsonNode record : records) {
                assertTrue(record.get("reply_correct").asBoolean(), "recorded reply is right: " + record.get("greedy_reply"));
                PromptContext prompt = prompt(jlama.promptSupport().orElseThrow(), record);
                int[] ids = model.encode(prompt, true);
                String what = record.get("scenario").asText() + " record of " + ids.length + " tokens";
                assertArrayEquals(ints(record.get("prompt_ids")), ids, "prompt ids of a " + what);

                int[] expected = ints(record.get("greedy_ids"));
                try (KvSession session = model.openSession()) {
                    float[] logits = session.prefill(ids);
                    for (int i = 0; i < expected.length; i++) {
                        int next = Sampler.argmax(logits);
                        assertEquals(expected[i], next, "greedy token " + i + " of a " + what);
                        if (i + 1 < expected.length) logits = session.decode(next);
                    }
                }
                if (record.get("scenario").asText().equals("call")) {
                    Generator.Response reply = model.generate(UUID.randomUUID(), prompt, 0.0f, 32, (t, ms) -> {});
                    assertEquals(1, reply.toolCalls.size(), "one call parsed from " + reply.responseText);
                    ToolCall call = reply.toolCalls.get(0);
                    assertEquals("lookup", call.getName());
                    assertEquals(askedKey(record), call.getParameters().get("key"), reply.responseText);
                    calls++;
                }
            }
            assertTrue(calls >= 4, "the records hold calls: " + calls);
        }
    }

    /** The record's conversation through Jlama's prompt support, with its tools when it has any. */
    private static PromptContext prompt(PromptSupport support, JsonNode record) {
        PromptSupport.Builder b = support.builder();
        for (JsonNode m : record.get("messages")) {
            switch (m.get("role").asText()) {
                case "user" -> b.addUserMessage(m.get("content").asText());
                case "tool" -> b.addToolResult(ToolResult.from("lookup", "000000000", m.get("content").asText()));
                default -> {
                    if (m.has("tool_calls")) {
                        for (JsonNode c : m.get("tool_calls")) {
                            b.addToolCall(new ToolCall(c.get("name").asText(), "000000000",
                                    Map.of("key", c.get("arguments").get("key").asText())));
                        }
                    } else {
                        b.addAssistantMessage(m.get("content").asText());
                    }
                }
            }
        }
        return record.get("tools").isEmpty() ? b.build() : b.build(List.of(LOOKUP));
    }

    private static String askedKey(JsonNode record) {
        String text = record.get("messages").get(0).get("content").asText();
        String question = text.substring(text.lastIndexOf(' ') + 1);
        return question.substring(0, question.length() - 1);
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
