package io.github.chunkkv.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.convert.RandomLlamaWriter;
import io.github.chunkkv.jlama.ChunkKvJlama;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prefill flop count against a count done by hand for a small Llama config. */
class PrefillFlopsTest {
    @TempDir
    Path dir;

    @Test
    void countsProjectionsMlpAndTheCausalTriangle() {
        // 2 layers, dim 64, 4 query heads / 2 KV heads (head size 16, KV length 32), hidden 128
        Path folder = RandomLlamaWriter.write(new RandomLlamaWriter.Shape(2, 64, 4, 2, 128, 256, 160), dir.resolve("m"), 1);
        try (AbstractModel model = ChunkKvJlama.loadJlamaModel(folder, dir.resolve("work"))) {
            int tokens = 10;
            long perTokenPerLayer = 2L * (64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 128); // Q, K and V, O, gate/up/down
            long attentionPerLayer = 0;
            for (int row = 0; row < tokens; row++) attentionPerLayer += 4L * 64 * (row + 1); // q·k and p·v, every head
            assertEquals(2 * (tokens * perTokenPerLayer + attentionPerLayer), PrefillFlops.of(model.getConfig(), tokens));
        }
    }
}
