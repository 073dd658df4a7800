package io.github.chunkkv.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import io.github.chunkkv.testing.RealModels;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The imported stories260K must encode and continue a prompt exactly like llama2.c's run.c (its tokenizer: Stories260KTokenizerTest). */
class Stories260KGoldenTest {
    private static final String GOLDEN = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
            + "One day, she saw a big, red ball. She wanted to play with it, but it was too high.";

    @Test
    void encodesAndContinuesLikeLlama2c() {
        AbstractModel jlama = ChunkKvJlama.loadJlamaModel(RealModels.stories260K());
        try (ChunkKvModel model = ChunkKvJlama.wrap(jlama, ChunkKvConfig.full())) {
            int[] prompt = model.encode(PromptContext.of("Once upon a time"), true);
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, prompt);

            KvSession session = model.openSession();
            float[] logits = session.prefill(prompt);
            StringBuilder text = new StringBuilder("Once upon a time");
            while (text.length() < GOLDEN.length()) {
                int next = Sampler.argmax(logits);
                text.append(jlama.getTokenizer().decode(next));
                logits = session.decode(next);
            }
            assertEquals(GOLDEN, text.substring(0, GOLDEN.length()), "tokens " + Arrays.toString(session.tokens()));
        }
    }
}
