package io.github.chunkkv.jlama;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.CausalSelfAttention;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import io.github.chunkkv.config.KvPrecision;
import io.github.chunkkv.simd.AttentionPartials;
import io.github.chunkkv.simd.Kernels;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ForkJoinTask;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * Causal self-attention over a session's compact cache. Weights, biases and RoPE are Jlama's (same tensors, same
 * table), so with nothing evicted the result equals stock Jlama within its own tolerance; unlike stock Jlama, the cache
 * slot a row lives in is separate from the logical position RoPE rotated it at. Projections multiply by the weights
 * in {@link BatchedMatmul} where it covers the types (prefill batches; decoding with Q4 weights and F32 activations),
 * the rest (F32 and BF16 decoding, I8-quantized activations) on Jlama's kernels.
 */
final class CompressedAttention extends CausalSelfAttention {
    /**
     * Query rows per prefill attention task: enough to fill the tiled kernel's query tiles, few enough that a long
     * prompt still splits into many tasks (later rows see more keys, so tasks are uneven and the pool balances them).
     */
    private static final int PREFILL_ROWS_PER_TASK = 64;
    /**
     * Split-K decode splits the visible slots into blocks of at most this many, so that a block's logit scratch and
     * rows stay in cache between the kernel's key and value passes (4 KV heads of 64 floats: 256 KiB of keys).
     */
    private static final int MAX_DECODE_BLOCK_SLOTS = 256;
    /** ... and of at least this many, so a block's work outweighs handing it to a worker. */
    private static final int MIN_DECODE_BLOCK_SLOTS = 32;
    /** Blocks per worker thread a short cache is split into, so a worker slowed by other load does not hold up the step. */
    private static final int DECODE_BLOCKS_PER_THREAD = 4;
    private final AbstractModel model;
    private final Config c;
    private final int layer;
    private final Optional<AbstractTensor> queryBias, keyBias, valueBias, outputBias;
    private final AbstractTensor queryWeights, keyWeights, valueWeights, outputWeights;
    private final ActiveSession active;
    private final UnaryOperator<AbstractTensor> toWorkingQuantized;
    /** Llama 3 scaled inverse frequencies, or null to use Jlama's own RoPE table. */
    private final double[] scaledInverseFrequencies;
    private final int slidingWindow;
    /**
     * Whether F32 attention may run the tiled prefill and split-K decode kernels. Off when the attention output is
     * quantized to I8 before the projection (Q4 weights): those kernels sum in another order than stock Jlama's per-row
     * attention, and 8-bit rounding turns those last-bit differences into whole quantization steps, so keep-all parity
     * with stock needs the per-row arithmetic there.
     */
    private final boolean reorderedSums;
    private final Kernels kernels = Kernels.preferred();
    private final BatchedMatmul matmul = new BatchedMatmul(kernels);
    private final float scale;
    private final int qLength;
    private final AttentionScratch scratch;

    @SuppressWarnings({"rawtypes", "unchecked"})
    CompressedAttention(AbstractModel model, int layer, Optional queryBias, Optional keyBias, Optional valueBias,
            AbstractTensor queryWeights, AbstractTensor keyWeights, AbstractTensor valueWeights, Optional outputBias,
            AbstractTensor outputWeights, ActiveSession active, UnaryOperator<AbstractTensor> toWorkingQuantized,
            AttentionConfig attentionConfig, boolean reorderedSums, AttentionScratch scratch) {
        super(model, layer, queryBias, keyBias, valueBias, queryWeights, keyWeights, valueWeights, outputBias, outputWeights);
        this.model = model;
        this.c = model.getConfig();
        this.layer = layer;
        this.queryBias = queryBias;
        this.keyBias = keyBias;
        this.valueBias = valueBias;
        this.outputBias = outputBias;
        this.queryWeights = queryWeights;
        this.keyWeights = keyWeights;
        this.valueWeights = valueWeights;
        this.outputWeights = outputWeights;
        this.active = active;
        this.toWorkingQuantized = toWorkingQuantized;
        this.scaledInverseFrequencies = attentionConfig.llama3Rope().map(r -> r.inverseFrequencies(c.headSize)).orElse(null);
        this.slidingWindow = attentionConfig.slidingWindow();
        this.reorderedSums = reorderedSums;
        this.scratch = scratch;
        this.scale = scale(c);
        this.qLength = c.numberOfHeads * c.headSize;
    }

    /** The attention logit scale: Jlama's rule, Granite-style multipliers included. */
    static float scale(Config c) {
        return c.attentionMultiplier != null ? c.attentionMultiplier : (float) (1.0 / StrictMath.sqrt(c.headSize));
    }

    /** {@code startPosition} is the logical (RoPE) position of the first input row; the Jlama KvBuffer is unused. */
    @Override
    public AbstractTensor forward(AbstractTensor input, int startPosition, KvBufferCache.KvBuffer unused,
            Optional<Consumer<List<AbstractTensor>>> tensorReducer) {
        KvSession session = active.get();
        LayerKvCache cache = session.cache(layer);
        int rows = input.shape().first();
        int kvLength = c.kvLength;

        float[] q = new float[rows * qLength];
        float[] k = new float[rows * kvLength];
        float[] v = new float[rows * kvLength];
        project(input, rows, q, k, v);
        for (int r = 0; r < rows; r++) {
            if (scaledInverseFrequencies == null) rotate(q, r * qLength, k, r * kvLength, startPosition + r);
            else rotateScaled(q, r * qLength, k, r * kvLength, startPosition + r);
        }

        PrefillPlan plan = session.prefillPlan();
        int firstSlot = cache.size();
        cache.append(k, v, rows, startPosition);
        if (plan != null) plan.observe(layer, startPosition, rows, q, qLength);
        if (plan == null || !plan.isProbe(startPosition)) session.observeQueries(layer, q, rows);

        float[] out = new float[rows * qLength];
        // A prefill recalls every cold row before it starts, except a segmented one, which would hold the whole context
        // again: its batches, like decode steps, recall only the cold chunks their queries attend to.
        if ((plan == null || session.config().segment() > 0) && session.recallsWhileDecoding()) {
            Runnable whileAttending = session.prepareRecall(layer, q, rows);
            float[] logNormalisers = attendUntiled(q, cache, firstSlot, windowStarts(cache, startPosition, rows), rows, out, whileAttending);
            session.recallWhileDecoding(layer, q, rows, logNormalisers, out);
        } else {
            attend(q, cache, firstSlot, startPosition, rows, out);
        }

        AbstractTensor result = outputProjection(out, rows);
        if (plan != null && plan.isLastBatch(startPosition + rows)) plan.compress(layer, cache, scale);
        return result;
    }

    private void project(AbstractTensor input, int rows, float[] q, float[] k, float[] v) {
        int dim = c.embeddingLength;
        try (AbstractTensor qt = model.makeDenseTensor(rows, qLength);
                AbstractTensor kt = model.makeDenseTensor(rows, c.kvLength);
                AbstractTensor vt = model.makeDenseTensor(rows, c.kvLength)) {
            var ops = TensorOperationsProvider.get();
            if (BatchedMatmul.covers(input.dType(), rows, queryWeights.dType())) {
                float[] x = new float[rows * dim];
                TensorArrays.toArray(input, rows, dim, x);
                TensorArrays.fromArray(matmul.multiply(x, rows, queryWeights), rows, qLength, qt);
                TensorArrays.fromArray(matmul.multiply(x, rows, keyWeights), rows, c.kvLength, kt);
                TensorArrays.fromArray(matmul.multiply(x, rows, valueWeights), rows, c.kvLength, vt);
            } else {
                VectorMath.pchunk(0, qLength, (start, len) -> ops.dotProductChunk(qt, input, queryWeights, 0, dim, start, len));
                VectorMath.pchunk(0, c.kvLength, (start, len) -> {
                    ops.dotProductChunk(kt, input, keyWeights, 0, dim, start, len);
                    ops.dotProductChunk(vt, input, valueWeights, 0, dim, start, len);
                });
            }
            queryBias.ifPresent(b -> ops.accumulate(qt, b, 0, qLength));
            keyBias.ifPresent(b -> ops.accumulate(kt, b, 0, c.kvLength));
            valueBias.ifPresent(b -> ops.accumulate(vt, b, 0, c.kvLength));
            TensorArrays.toArray(qt, rows, qLength, q);
            TensorArrays.toArray(kt, rows, c.kvLength, k);
            TensorArrays.toArray(vt, rows, c.kvLength, v);
        }
    }

    /**
     * Rotates one query row and one key row at logical position {@code pos} with Jlama's own frequency table and
     * indexing (head group g reads the table at pos + 2g; the offset cancels in q·k but must match to be exact).
     */
    private void rotate(float[] q, int qOff, float[] k, int kOff, int pos) {
        float[][] freqs = c.ropeFreqs.orElseThrow();
        int half = c.headSize / 2;
        int base = pos * half;
        for (int h = 0; h < c.numberOfHeads; h++) {
            int group = c.maybeMapToGroupHead(h) * c.headSize;
            rotateHead(q, qOff + h * c.headSize, freqs, base + group, half);
        }
        for (int g = 0; g < c.numberOfKeyValueHeads; g++) {
            rotateHead(k, kOff + g * c.headSize, freqs, base + g * c.headSize, half);
        }
    }

    private static void rotateHead(float[] x, int off, float[][] freqs, int freqOff, int half) {
        for (int i = 0; i < half; i++) {
            float x0 = x[off + i], x1 = x[off + i + half];
            float[] f = freqs[freqOff + i];
            x[off + i] = x0 * f[0] - x1 * f[1];
            x[off + i + half] = x0 * f[1] + x1 * f[0];
        }
    }

    /**
     * Rotates one query row and one key row at logical position {@code pos} with Llama 3 scaled frequencies (HF
     * "rotate half" pairs i, i + headSize/2), for configs whose scaling Jlama's table does not apply.
     */
    private void rotateScaled(float[] q, int qOff, float[] k, int kOff, int pos) {
        int half = c.headSize / 2;
        float[] cos = new float[half], sin = new float[half];
        for (int i = 0; i < half; i++) {
            double angle = pos * scaledInverseFrequencies[i];
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
        for (int h = 0; h < c.numberOfHeads; h++) rotateHead(q, qOff + h * c.headSize, cos, sin);
        for (int g = 0; g < c.numberOfKeyValueHeads; g++) rotateHead(k, kOff + g * c.headSize, cos, sin);
    }

    private static void rotateHead(float[] x, int off, float[] cos, float[] sin) {
        int half = cos.length;
        for (int i = 0; i < half; i++) {
            float x0 = x[off + i], x1 = x[off + i + half];
            x[off + i] = x0 * cos[i] - x1 * sin[i];
            x[off + i + half] = x0 * sin[i] + x1 * cos[i];
        }
    }

    /**
     * Row r (at slot firstSlot + r, position startPosition + r) attends causally to slots [first, firstSlot + r], where
     * first is 0, or with a sliding window the first slot whose position is within the window. Rows are
     * position-ordered, so the window is always a suffix of the visible slots. A batch (prefill) over F32 rows runs
     * the tiled kernel parallel over KV heads x blocks of rows, unless {@link #reorderedSums} is off; a single row
     * (decode) and BF16/Q8 rows run {@link #attendUntiled}.
     */
    private void attend(float[] q, LayerKvCache cache, int firstSlot, int startPosition, int rows, float[] out) {
        int[] windowStart = windowStarts(cache, startPosition, rows);
        if (rows == 1 || !reorderedSums || cache.precision() != KvPrecision.F32) {
            attendUntiled(q, cache, firstSlot, windowStart, rows, out, null);
            return;
        }
        int kvHeads = c.numberOfKeyValueHeads, blocks = Math.ceilDiv(rows, PREFILL_ROWS_PER_TASK);
        VectorMath.pfor(0, kvHeads * blocks, task -> {
            int rowFrom = task / kvHeads * PREFILL_ROWS_PER_TASK;
            cache.attendCausal(kernels, q, rowFrom, Math.min(rows, rowFrom + PREFILL_ROWS_PER_TASK), firstSlot, windowStart,
                    task % kvHeads, c.numberOfHeads, scale, out);
        });
    }

    /** Per query row, the first slot it sees: 0, or with a sliding window the first slot whose position is within it. */
    private int[] windowStarts(LayerKvCache cache, int startPosition, int rows) {
        int[] windowStart = new int[rows];
        if (slidingWindow > 0) {
            for (int r = 0; r < rows; r++) windowStart[r] = cache.rowsBefore(startPosition + r - slidingWindow + 1);
        }
        return windowStart;
    }

    /**
     * Attention row by row; returns each query's log softmax normaliser, indexed {@code row * numberOfHeads + head}
     * like the queries. A single F32 row (a decode step) runs split-K unless {@link #reorderedSums} is off; otherwise
     * the per-row kernel runs parallel over query heads. {@code whileAttending} (null: none) runs on the calling thread
     * meanwhile, or first where the attention has no split-K kernel.
     */
    private float[] attendUntiled(float[] q, LayerKvCache cache, int firstSlot, int[] windowStart, int rows, float[] out,
            Runnable whileAttending) {
        if (rows == 1 && reorderedSums && cache.precision() == KvPrecision.F32) {
            float[] logNormalisers = new float[c.numberOfHeads];
            attendSplitK(q, cache, windowStart[0], firstSlot + 1, out, logNormalisers, whileAttending);
            return logNormalisers;
        }
        if (whileAttending != null) whileAttending.run();
        return attendPerRow(q, cache, firstSlot, windowStart, rows, out);
    }

    /**
     * Split-K decode attention ("FlashDecoding") of the query row {@code q} over slots [from, to): the slots go in
     * consecutive blocks, parallel, each reading its key and value rows once for every head; the blocks' partial
     * softmax results are then merged. A decode step's keys and values are the largest thing it reads after the
     * weights, so streaming each row once, whole, matters more than anything the per-head split could save.
     * The blocks go to Jlama's pool as {@code VectorMath.pfor} would send them, but the calling thread runs
     * {@code whileAttending} (decode-time recall's scan of the cold tier) before it waits for them: on a short decode
     * step most of a parallel loop's time is the pool's workers waking up, and the calling thread would spend it idle.
     * It then keeps a core busy, so the blocks are split one per remaining worker, no finer: every further block wakes
     * another worker, which then competes with the calling thread for a core. Measured on needle-lm (bench, 2 cores):
     * the scan as more tasks of the loop decoded at 0.959 of one-shot (recall=ram) and 0.90-0.91 (disk); on the calling
     * thread meanwhile, with the usual split, 0.965-0.982 and 0.915-0.932; with one block per remaining worker,
     * 0.986-0.999 and 0.941-0.955. As serial work before the loop, 5 µs per layer and step had cost 4% of decoding
     * speed, as idle workers park and must be woken again. Without work alongside the split makes no difference there
     * (one-shot's speed-up over stock Jlama 1.37 with blocks of at least 32 slots or of at least 256).
     */
    private void attendSplitK(float[] q, LayerKvCache cache, int from, int to, float[] out, float[] logNormalisers,
            Runnable whileAttending) {
        int length = to - from, threads = PhysicalCoreExecutor.instance.get().getCoreCount();
        int split = whileAttending == null ? DECODE_BLOCKS_PER_THREAD * threads : Math.max(1, threads - 1);
        int blockSlots = Math.clamp(Math.ceilDiv(length, split), MIN_DECODE_BLOCK_SLOTS, MAX_DECODE_BLOCK_SLOTS);
        int blocks = Math.max(1, Math.ceilDiv(length, blockSlots));
        AttentionPartials partials = scratch.partials;
        partials.reserve(blocks, blockSlots);
        ForkJoinTask<?> hot = JlamaInstaller.jlamaPool().submit(() -> IntStream.range(0, blocks).parallel().forEach(b -> {
            int blockFrom = from + b * blockSlots;
            cache.attendBlock(kernels, q, 0, blockFrom, Math.min(to, blockFrom + blockSlots), scale, partials, b);
        }));
        try {
            if (whileAttending != null) whileAttending.run();
        } finally {
            hot.join(); // the blocks write the scratch partials: never leave them running
        }
        partials.merge(out, 0, logNormalisers, 0);
    }

    /** The per-row kernel, parallel over query heads; see {@link #attendUntiled}. */
    private float[] attendPerRow(float[] q, LayerKvCache cache, int firstSlot, int[] windowStart, int rows, float[] out) {
        float[] logNormalisers = new float[rows * c.numberOfHeads];
        VectorMath.pfor(0, c.numberOfHeads, h -> {
            int kvHead = c.maybeMapToGroupHead(h);
            float[] probs = scratch.probs(h, firstSlot + rows);
            for (int r = 0; r < rows; r++) {
                int off = r * qLength + h * c.headSize, from = windowStart[r];
                logNormalisers[r * c.numberOfHeads + h] = cache.attend(kernels, q, off, kvHead, from, firstSlot + r + 1 - from, scale, probs, out, off);
            }
        });
        return logNormalisers;
    }

    /**
     * As stock Jlama: the attention output passes through working memory (rounding it to BF16 there) and is quantized
     * to the working quantized type (e.g. I8 for Q4 weights) before the projection; skipping either step costs parity.
     */
    private AbstractTensor outputProjection(float[] attention, int rows) {
        AbstractTensor result = model.makeDenseTensor(rows, c.embeddingLength);
        try (AbstractTensor working = model.makeDenseTensor(rows, qLength);
                AbstractTensor at = toWorkingQuantized.apply(TensorArrays.fromArray(attention, rows, qLength, working))) {
            var ops = TensorOperationsProvider.get();
            if (BatchedMatmul.covers(at.dType(), rows, outputWeights.dType())) {
                float[] x = new float[rows * qLength]; // as rounded by working memory and quantization, like stock's input
                TensorArrays.toArray(at, rows, qLength, x);
                TensorArrays.fromArray(matmul.multiply(x, rows, outputWeights), rows, c.embeddingLength, result);
            } else {
                VectorMath.pchunk(0, c.embeddingLength, (start, len) -> ops.dotProductChunk(result, at, outputWeights, 0, qLength, start, len));
            }
            outputBias.ifPresent(b -> ops.accumulate(result, b, 0, c.embeddingLength));
        }
        return result;
    }
}
