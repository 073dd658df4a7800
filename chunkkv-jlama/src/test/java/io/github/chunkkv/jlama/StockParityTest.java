package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** With nothing evicted, the compressed path must reproduce stock Jlama's logits at every step. */
class StockParityTest {
    @TempDir
    Path dir;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("llama-gqa", TinyModels.llama(), "full"),
                Arguments.of("llama-gqa", TinyModels.llama(), "chunkkv:keep=1.0"),
                Arguments.of("qwen2-bias", TinyModels.qwen2(), "chunkkv:keep=1.0,reuse=2"),
                Arguments.of("llama-mha", TinyModels.llamaMha(), "snapkv:keep=1.0"));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void logitsEqualStockJlamaAtEveryStep(String name, TinyModels.Spec spec, String policy) {
        AbstractModel model = TinyModels.load(TinyModels.write(spec, dir.resolve(name)));
        int[] prompt = new Random(3).ints(300, 3, spec.vocab()).toArray(); // crosses Jlama's 256-row prefill batch
        try (StockJlamaSession stock = new StockJlamaSession(model); ChunkKvModel compressed = ChunkKvJlama.wrap(model, ChunkKvConfig.parse(policy))) {
            KvSession session = compressed.openSession();
            stock.prefill(prompt);
            float[] expected = stock.logits();
            float[] actual = session.prefill(prompt);
            for (int step = 0; step < 12; step++) {
                assertClose(expected, actual, 1e-4f, "step " + step);
                int next = Sampler.argmax(expected);
                stock.decode(next);
                expected = stock.logits();
                actual = session.decode(next);
            }
            assertEquals(prompt.length + 12, session.cachedRows(0), "nothing evicted");
        } finally {
            model.close();
        }
    }

    static void assertClose(float[] expected, float[] actual, float tolerance, String where) {
        assertEquals(expected.length, actual.length);
        float worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        assertTrue(worst <= tolerance, where + ": max |logit diff| " + worst + " > " + tolerance);
    }
}
