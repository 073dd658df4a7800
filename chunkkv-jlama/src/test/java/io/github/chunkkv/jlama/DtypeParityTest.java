package io.github.chunkkv.jlama;

import static io.github.chunkkv.testing.Logits.margin;
import static io.github.chunkkv.testing.Logits.maxAbs;
import static io.github.chunkkv.testing.Logits.maxDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.ReferenceTransformer;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The parity matrix: for every weight type a Jlama user downloads (written here by Jlama's own quantizer) and every
 * working type combination, either stock Jlama runs it and ChunkKV with nothing evicted reproduces stock's logits
 * within stock's own tolerance, or stock cannot run it (or runs it wrongly) and {@code wrap} refuses it up front.
 *
 * <p>Stock's tolerance is measured per combination: the largest logit difference between its batched and its
 * token-by-token prefill and between a first and a later pass (Q4 × I8 is not reproducible run to run), and at least
 * one rounding step of the type the products run in at the logits' scale (1e-4 for F32).
 */
class DtypeParityTest {
    /** dim 512: Jlama runs Q4 × I8 only when dim / 32 is a multiple of the float vector length (8 or 16). */
    private static final TinyModels.Spec SPEC = new TinyModels.Spec("llama", 2, 512, 8, 4, 512, 1024, false, 17);
    private static final int PROMPT = 264; // crosses Jlama's 256-row prefill batch
    private static final int STEPS = 4;

    @TempDir
    static Path dir;

    private static final Map<DType, Path> FOLDERS = new ConcurrentHashMap<>();

    static Stream<Arguments> runnable() {
        return Stream.of(
                Arguments.of(DType.F32, DType.F32, DType.F32),
                Arguments.of(DType.F32, DType.F32, DType.I8),
                Arguments.of(DType.F16, DType.F32, DType.F32),
                Arguments.of(DType.F16, DType.F32, DType.I8),
                Arguments.of(DType.BF16, DType.F32, DType.F32),
                Arguments.of(DType.BF16, DType.F32, DType.I8),
                Arguments.of(DType.BF16, DType.BF16, DType.I8),
                Arguments.of(DType.Q4, DType.F32, DType.F32),
                Arguments.of(DType.Q4, DType.F32, DType.I8));
    }

    /** What stock Jlama does with a refused combination. */
    enum Stock {
        /** Throws: it has no kernel for it. */
        FAILS,
        /** Runs, with logits far from a float64 reference (F32 products written into BF16 working memory). */
        GETS_WRONG
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of(DType.Q4, DType.BF16, DType.I8, Stock.FAILS),
                Arguments.of(DType.I8, DType.F32, DType.I8, Stock.FAILS),
                Arguments.of(DType.I8, DType.F32, DType.F32, Stock.FAILS),
                Arguments.of(DType.F32, DType.BF16, DType.I8, Stock.GETS_WRONG),
                Arguments.of(DType.F16, DType.BF16, DType.I8, Stock.GETS_WRONG));
    }

    @ParameterizedTest(name = "weights {0}, working memory {1}, working quantized {2}")
    @MethodSource("runnable")
    void keepAllMatchesStockWithinStocksOwnTolerance(DType weights, DType workingMemory, DType workingQuantized) {
        AbstractModel model = ModelSupport.loadModel(folder(weights).toFile(), workingMemory, workingQuantized);
        int[] prompt = new Random(3).ints(PROMPT, 3, SPEC.vocab()).toArray();
        try (ChunkKvModel compressed = ChunkKvJlama.wrap(model, ChunkKvConfig.parse("chunkkv:keep=1.0"))) {
            assertEquals(weights, compressed.workingTypes().weights(), "weights as stored");
            float[][] first = stockRun(model, prompt), later = stockRun(model, prompt);
            float[] single = stockTokenByToken(model, prompt);
            float tolerance = Math.max(Math.max(maxDiff(first[0], later[0]), maxDiff(first[0], single)),
                    Math.max(1e-4f, epsilon(compressed.workingTypes().workingQuantized()) * maxAbs(first[0])));
            for (int step = 1; step < first.length; step++) tolerance = Math.max(tolerance, maxDiff(first[step], later[step]));

            KvSession session = compressed.openSession();
            float worst = 0;
            float[] ours = session.prefill(prompt);
            for (int step = 0; step < first.length; step++) {
                worst = Math.max(worst, maxDiff(later[step], ours));
                int stockId = Sampler.argmax(later[step]);
                if (margin(later[step]) > 2 * tolerance) assertEquals(stockId, Sampler.argmax(ours), "greedy id at step " + step);
                if (step + 1 < first.length) ours = session.decode(stockId);
            }
            System.out.printf("parity weights=%s working=%s/%s (as run: %s): stock tolerance %.3g, ChunkKV max diff %.3g%n",
                    weights, workingMemory, workingQuantized, compressed.workingTypes(), tolerance, worst);
            assertTrue(worst <= tolerance, "max |logit diff| " + worst + " > stock's own tolerance " + tolerance);
        } finally {
            model.close();
        }
    }

    @ParameterizedTest(name = "weights {0}, working memory {1}, working quantized {2}: stock {3}")
    @MethodSource("refused")
    void whatStockCannotRunIsRefusedAtWrapNamingWhatWorks(DType weights, DType workingMemory, DType workingQuantized, Stock stock) {
        AbstractModel model = ModelSupport.loadModel(folder(weights).toFile(), workingMemory, workingQuantized);
        try {
            if (stock == Stock.FAILS) {
                assertThrows(UnsupportedOperationException.class, () -> {
                    try (StockJlamaSession session = new StockJlamaSession(model)) {
                        session.prefill(new int[] {3, 4, 5});
                    }
                }, "stock Jlama runs this combination; it must not be refused");
            } else {
                int token = 7;
                float[] reference = new ReferenceTransformer(SPEC).step(token, (layer, position) -> true);
                try (StockJlamaSession session = new StockJlamaSession(model)) {
                    session.prefill(new int[] {token});
                    // BF16 rounding moves these logits (|logit| about 10) by a few hundredths; stock misses by whole logits
                    float miss = maxDiff(reference, session.logits());
                    assertTrue(miss > 1f, "stock Jlama now computes this combination within " + miss + " of the float64 reference:"
                            + " test it for parity instead of refusing it");
                }
            }
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> ChunkKvJlama.wrap(model, ChunkKvConfig.parse("full")));
            assertTrue(e.getMessage().contains("combinations that work") && e.getMessage().contains("DType.I8"), e.getMessage());
            if (stock == Stock.GETS_WRONG) assertTrue(e.getMessage().contains("wrong logits"), e.getMessage());
        } finally {
            model.close();
        }
    }

    private static Path folder(DType weights) {
        return FOLDERS.computeIfAbsent(weights, w -> TinyModels.write(SPEC, dir.resolve(w.name()), w));
    }

    /** Stock logits after the batched prefill, then after each greedy decode step. */
    private static float[][] stockRun(AbstractModel model, int[] prompt) {
        float[][] logits = new float[STEPS][];
        try (StockJlamaSession stock = new StockJlamaSession(model)) {
            int next = stock.prefill(prompt);
            logits[0] = stock.logits();
            for (int step = 1; step < STEPS; step++) {
                next = stock.decode(next);
                logits[step] = stock.logits();
            }
        }
        return logits;
    }

    private static float[] stockTokenByToken(AbstractModel model, int[] prompt) {
        try (StockJlamaSession stock = new StockJlamaSession(model)) {
            for (int t : prompt) stock.decode(t);
            return stock.logits();
        }
    }

    /** Relative rounding step of the type matrix products take their activations in. */
    private static float epsilon(DType workingQuantized) {
        return switch (workingQuantized) {
            case BF16 -> 0x1p-8f;
            case I8 -> 0x1p-7f;
            default -> 0f;
        };
    }
}
