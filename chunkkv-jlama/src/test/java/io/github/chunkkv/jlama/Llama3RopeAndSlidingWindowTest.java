package io.github.chunkkv.jlama;

import static io.github.chunkkv.testing.Logits.maxAbs;
import static io.github.chunkkv.testing.Logits.maxDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.ReferenceTransformer;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What config.json says about attention and Jlama 0.8.4 ignores: Llama 3 RoPE scaling and Mistral's sliding window,
 * applied by ChunkKV's attention and checked against a float64 reference that computes the frequencies itself.
 */
class Llama3RopeAndSlidingWindowTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Small original context, so that a tiny model's head sizes reach all three frequency bands. */
    private static final Map<String, Object> LLAMA3 = Map.of("rope_type", "llama3", "factor", 8.0, "low_freq_factor", 1.0,
            "high_freq_factor", 4.0, "original_max_position_embeddings", 64);

    @TempDir
    Path dir;

    @Test
    void llama3FrequenciesFollowTheReferenceFormula() {
        // Llama 3.1 8B: theta 500000, head size 128, factor 8, low 1, high 4, original context 8192.
        double[] inv = new Llama3Rope(500000, 8, 1, 4, 8192).inverseFrequencies(128);
        double[] expected = independentLlama3(500000, 128, 8, 1, 4, 8192);
        assertEquals(64, inv.length);
        for (int i = 0; i < inv.length; i++) assertEquals(expected[i], inv[i], 1e-15 * Math.max(1, expected[i]), "pair " + i);
        assertEquals(1.0, inv[0], 0, "short wavelengths are kept");
        assertEquals(Math.pow(500000, -126.0 / 128) / 8, inv[63], 1e-20, "long wavelengths are divided by the factor");
    }

    @Test
    void llama3ScaledModelMatchesTheReferenceAndStockDoesNot() {
        TinyModels.Spec spec = TinyModels.llama();
        Path folder = writeWithConfig(spec, c -> c.set("rope_scaling", JSON.valueToTree(LLAMA3)));
        int headSize = spec.dim() / spec.heads();
        ReferenceTransformer reference = new ReferenceTransformer(spec, independentLlama3(10000, headSize, 8, 1, 4, 64), 0);
        int[] prompt = new Random(5).ints(200, 3, spec.vocab()).toArray();
        float[] expected = null;
        for (int t : prompt) expected = reference.step(t, (l, p) -> true);

        AbstractModel model = ChunkKvJlama.loadJlamaModel(folder);
        try (ChunkKvModel compressed = ChunkKvJlama.wrap(model, ChunkKvConfig.parse("full"));
                StockJlamaSession stock = new StockJlamaSession(model)) {
            float[] ours = compressed.openSession().prefill(prompt);
            stock.prefill(prompt);
            float scale = maxAbs(expected);
            assertTrue(maxDiff(expected, ours) <= 1e-3f * scale, "ChunkKV vs reference: " + maxDiff(expected, ours));
            assertTrue(maxDiff(expected, stock.logits()) > 100 * maxDiff(expected, ours),
                    "stock Jlama ignores llama3 scaling, so it must differ from the reference: " + maxDiff(expected, stock.logits()));
        } finally {
            model.close();
        }
    }

    @Test
    void slidingWindowMasksPositionsOutsideTheWindowInPrefillAndDecode() {
        TinyModels.Spec spec = new TinyModels.Spec("llama", 2, 64, 4, 2, 96, 512, false, 19);
        int window = 24;
        Path folder = writeWithConfig(spec, c -> c.put("model_type", "mistral").put("sliding_window", window));
        ReferenceTransformer reference = new ReferenceTransformer(spec, ReferenceTransformer.defaultInverseFrequencies(16), window);
        int[] prompt = new Random(9).ints(90, 3, spec.vocab()).toArray();
        float[] expected = null;
        for (int t : prompt) expected = reference.step(t, (l, p) -> true);

        AbstractModel model = ChunkKvJlama.loadJlamaModel(folder);
        try (ChunkKvModel compressed = ChunkKvJlama.wrap(model, ChunkKvConfig.parse("full"))) {
            KvSession session = compressed.openSession();
            float[] ours = session.prefill(prompt);
            for (int step = 0; step < 5; step++) {
                assertTrue(maxDiff(expected, ours) <= 1e-3f * Math.max(1, maxAbs(expected)), "step " + step + ": " + maxDiff(expected, ours));
                int next = Sampler.argmax(expected);
                expected = reference.step(next, (l, p) -> true);
                ours = session.decode(next);
            }
        } finally {
            model.close();
        }
    }

    @Test
    void badScalingOrWindowValuesNameTheField() {
        TinyModels.Spec spec = TinyModels.llama();
        Path noFactor = writeWithConfig(spec, c -> c.set("rope_scaling", JSON.valueToTree(Map.of("rope_type", "llama3", "factor", 8.0))));
        ModelFolderException e = assertThrows(ModelFolderException.class, () -> ChunkKvJlama.loadJlamaModel(noFactor));
        assertTrue(e.getMessage().contains("rope_scaling.low_freq_factor must be a number"), e.getMessage());
        Path badWindow = writeWithConfig(spec, c -> c.put("model_type", "mistral").put("sliding_window", 0));
        e = assertThrows(ModelFolderException.class, () -> ChunkKvJlama.loadJlamaModel(badWindow));
        assertTrue(e.getMessage().contains("sliding_window must be null or an integer >= 1, got 0"), e.getMessage());
    }

    /** The Hugging Face llama3 rule, written out separately from {@link Llama3Rope}. */
    private static double[] independentLlama3(double theta, int headSize, double factor, double low, double high, int original) {
        double[] inv = ReferenceTransformer.defaultInverseFrequencies(headSize);
        for (int i = 0; i < inv.length; i++) {
            double base = Math.pow(theta, -2.0 * i / headSize);
            double ratio = original * base / (2 * Math.PI); // original context / wavelength
            if (ratio < low) inv[i] = base / factor;
            else if (ratio > high) inv[i] = base;
            else inv[i] = base / factor + (ratio - low) / (high - low) * (base - base / factor);
        }
        return inv;
    }

    private Path writeWithConfig(TinyModels.Spec spec, Consumer<ObjectNode> edit) {
        return TinyModels.editConfig(TinyModels.write(spec, dir.resolve("m" + System.nanoTime())), edit);
    }
}
