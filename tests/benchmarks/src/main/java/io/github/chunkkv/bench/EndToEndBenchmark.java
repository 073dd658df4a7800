package io.github.chunkkv.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.Config;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.config.Recall;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.CompressionStats;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import io.github.chunkkv.jlama.StockJlamaSession;
import io.github.chunkkv.jlama.WorkingTypes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Measures stock Jlama against the ChunkKV path, row by row. Each row runs both paths on the same prompt back to
 * back: stock prefill, ChunkKV prefill (compression included), then decode steps that alternate between the two
 * paths, so that load from other processes drifts over both alike. Both paths are fed stock Jlama's greedy tokens, so
 * they do identical work except attention and cache, and with nothing evicted their logits are comparable step by
 * step ({@code logit_max_abs_diff}).
 */
final class EndToEndBenchmark {
    /** Untimed decode steps before the timed ones, per row. */
    static final int DECODE_WARMUP = 2;
    private static final int WARMUP_PROMPT = 256;
    /**
     * Layer-steps (decode steps times layers) per configuration while warming up. HotSpot compiles a method with C2
     * after some thousands of calls (Tier4InvocationThreshold 5,000), and until then the Vector API's code runs
     * boxed, many times slower; decoding calls its per-layer methods once per layer and step. Measured on needle-lm
     * (4 layers): after 64 warm-up steps decode-time recall's kernels were still in C1 during most of 1,900 timed steps.
     */
    static final int WARMUP_LAYER_STEPS = 12_000;
    /** Prompt length of the decode floor: long enough to be a real cache, short enough that attention costs nothing. */
    static final int FLOOR_CONTEXT = 64;
    private static final long PROMPT_SEED = 20250200299L;

    private final AbstractModel model;
    private final ChunkKvModel chunkKv;
    private final long weightBytes;

    EndToEndBenchmark(AbstractModel model, long weightBytes) {
        this.model = model;
        this.chunkKv = ChunkKvJlama.wrap(model, ChunkKvConfig.full());
        this.weightBytes = weightBytes;
    }

    /** Positions one row occupies beyond its prompt. */
    static int positionsAfterPrompt(int decodeTokens) {
        return DECODE_WARMUP + decodeTokens;
    }

    /** Longest prompt the model can take with {@code decodeTokens} timed decode steps after it. */
    int maxContext(int decodeTokens) {
        return chunkKv.maxPositions() - positionsAfterPrompt(decodeTokens);
    }

    /** The types the model runs with, as Jlama resolved them. */
    WorkingTypes workingTypes() {
        return chunkKv.workingTypes();
    }

    /** Compiles both paths (every configuration once) on a short prompt; the results are discarded. */
    void warmUp(BenchCli.Plan plan, Consumer<String> progress) {
        int length = Math.min(WARMUP_PROMPT, plan.minContext());
        int steps = Math.min(plan.warmupSteps(model.getConfig().numberOfLayers), maxContext(0) - length); // at least the plan's decode tokens: it fits
        progress.accept("warming up the JIT on a " + length + "-token prompt");
        for (ChunkKvConfig config : plan.configurations()) measure(prompt(model.getConfig(), length), config, steps);
    }

    /** Measures every context × configuration; each row is handed to {@code onRow} as soon as it is done. */
    List<BenchRow> run(BenchCli.Plan plan, Consumer<String> progress, Consumer<BenchRow> onRow) {
        List<BenchRow> rows = new ArrayList<>();
        for (int context : plan.contexts()) {
            int[] prompt = prompt(model.getConfig(), context);
            for (ChunkKvConfig config : plan.configurations()) {
                progress.accept("measuring context=" + context + " " + config.toSpec());
                BenchRow row = measure(prompt, config, plan.decodeTokens());
                rows.add(row);
                onRow.accept(row);
            }
        }
        return rows;
    }

    /**
     * One row. Its decode steps alternate between stock, ChunkKV and the decode floor (ChunkKV over the full cache of a
     * {@value #FLOOR_CONTEXT}-token prompt, where a step costs the weights' matrix products and little else), so that
     * load from other processes weighs on all three alike. A row with recall also alternates with the same
     * configuration without recall (one-shot), whose steps it must match: two rows measured one after the other
     * differ by more than that on a shared machine.
     */
    private BenchRow measure(int[] prompt, ChunkKvConfig config, int decodeTokens) {
        System.gc(); // start each row with a clean heap so that collection of the previous row is not timed
        boolean recalls = config.recall() != Recall.OFF;
        try (StockJlamaSession stock = new StockJlamaSession(model); KvSession session = chunkKv.openSession(config);
                KvSession floor = chunkKv.openSession(ChunkKvConfig.full());
                KvSession oneShot = recalls ? chunkKv.openSession(config.withRecall(Recall.OFF)) : null) {
            long t = System.nanoTime();
            int stockToken = stock.prefill(prompt);
            long stockPrefill = System.nanoTime() - t;

            t = System.nanoTime();
            float[] logits = session.prefill(prompt);
            long prefill = System.nanoTime() - t;
            CompressionStats stats = session.lastStats();
            boolean keepsAll = config.keepsEverything();
            float logitDiff = keepsAll ? maxAbsDiff(stock.logits(), logits) : Float.NaN;

            int floorToken = Sampler.argmax(floor.prefill(Arrays.copyOf(prompt, Math.min(FLOOR_CONTEXT, prompt.length))));
            if (recalls) oneShot.prefill(prompt);
            long[] stockSteps = new long[decodeTokens];
            long[] steps = new long[decodeTokens];
            long[] floorSteps = new long[decodeTokens];
            long[] oneShotSteps = new long[recalls ? decodeTokens : 0];
            for (int i = -DECODE_WARMUP; i < decodeTokens; i++) {
                int fed = stockToken;
                t = System.nanoTime();
                stockToken = stock.decode(fed);
                long stockStep = System.nanoTime() - t;
                // With a one-shot twin, the two swap places every step: whichever follows stock's step finds less of its
                // own data in the caches (measured: 5-10% on needle-lm), so a fixed order would favour one of them.
                long oneShotStep = 0;
                if (recalls && i % 2 != 0) oneShotStep = timedDecode(oneShot, fed);
                t = System.nanoTime();
                logits = session.decode(fed);
                long step = System.nanoTime() - t;
                if (keepsAll) logitDiff = Math.max(logitDiff, maxAbsDiff(stock.logits(), logits));
                t = System.nanoTime();
                floorToken = Sampler.argmax(floor.decode(floorToken));
                long floorStep = System.nanoTime() - t;
                if (recalls && i % 2 == 0) oneShotStep = timedDecode(oneShot, fed);
                if (i >= 0) {
                    stockSteps[i] = stockStep;
                    steps[i] = step;
                    floorSteps[i] = floorStep;
                    if (recalls) oneShotSteps[i] = oneShotStep;
                }
            }
            return new BenchRow(config.policy(), config.keepRatio(), config.reuseInterval(), config.recall(), session.kvPrecision(), prompt.length,
                    decodeTokens, prefill / 1e6, stats.compressNanos() / 1e6, stats.scoreNanos() / 1e6, medianMs(steps),
                    stockPrefill / 1e6, medianMs(stockSteps), stats.keptTotal(), session.rowsPromotedWhileDecoding(), stats.kvBytesAfter(), session.kvAllocatedBytes(),
                    stockKvBytes(model, prompt.length), weightBytes, medianMs(floorSteps), recalls ? medianMs(oneShotSteps) : Double.NaN, PrefillFlops.of(model.getConfig(), prompt.length), logitDiff);
        }
    }

    private static long timedDecode(KvSession session, int token) {
        long t = System.nanoTime();
        session.decode(token);
        return System.nanoTime() - t;
    }

    /** K+V bytes stock Jlama's cache holds for a prompt of {@code positions}: every layer, in its working memory type. */
    static long stockKvBytes(AbstractModel model, int positions) {
        var c = model.getConfig();
        return 2L * c.numberOfLayers * positions * c.kvLength * model.getWorkingDType().size();
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    /** BOS, then seeded random ordinary token ids (the same prompt for every row of a context). */
    static int[] prompt(Config c, int length) {
        SplittableRandom random = new SplittableRandom(PROMPT_SEED + length);
        int[] tokens = new int[length];
        tokens[0] = c.bosToken;
        for (int i = 1; i < length; i++) {
            int id;
            do {
                id = random.nextInt(c.vocabularySize);
            } while (id == c.bosToken || c.eosTokens.contains(id));
            tokens[i] = id;
        }
        return tokens;
    }

    static double medianMs(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        return median / 1e6;
    }
}
