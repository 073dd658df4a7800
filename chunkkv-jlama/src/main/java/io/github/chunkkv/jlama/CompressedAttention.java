package io.github.chunkkv.jlama;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.CausalSelfAttention;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import io.github.chunkkv.simd.Kernels;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Causal self-attention over a session's compact cache. Projections, biases and RoPE are Jlama's (same tensors, same
 * table), so with nothing evicted the result equals stock Jlama; unlike stock Jlama, the cache slot a row lives in is
 * separate from the logical position RoPE rotated it at.
 */
final class CompressedAttention extends CausalSelfAttention {
    private final AbstractModel model;
    private final Config c;
    private final int layer;
    private final Optional<AbstractTensor> queryBias, keyBias, valueBias, outputBias;
    private final AbstractTensor queryWeights, keyWeights, valueWeights, outputWeights;
    private final ActiveSession active;
    private final Kernels kernels = Kernels.preferred();
    private final float scale;
    private final int qLength;

    @SuppressWarnings({"rawtypes", "unchecked"})
    CompressedAttention(AbstractModel model, int layer, Optional queryBias, Optional keyBias, Optional valueBias,
            AbstractTensor queryWeights, AbstractTensor keyWeights, AbstractTensor valueWeights, Optional outputBias,
            AbstractTensor outputWeights, ActiveSession active) {
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
        for (int r = 0; r < rows; r++) rotate(q, r * qLength, k, r * kvLength, startPosition + r);

        PrefillPlan plan = session.prefillPlan();
        if (plan == null) session.promoteForDecoding(layer, q, rows); // a prefill recalls every cold row instead
        int firstSlot = cache.size();
        cache.append(k, v, rows, startPosition);
        if (plan != null) plan.observe(layer, startPosition, rows, q, qLength);
        if (plan == null || !plan.isProbe(startPosition)) session.observeQueries(layer, q, rows);

        float[] out = new float[rows * qLength];
        attend(q, cache, firstSlot, rows, out);

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
            VectorMath.pchunk(0, qLength, (start, len) -> ops.dotProductChunk(qt, input, queryWeights, 0, dim, start, len));
            VectorMath.pchunk(0, c.kvLength, (start, len) -> {
                ops.dotProductChunk(kt, input, keyWeights, 0, dim, start, len);
                ops.dotProductChunk(vt, input, valueWeights, 0, dim, start, len);
            });
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

    /** Row r (at slot firstSlot + r) attends causally to slots [0, firstSlot + r]; parallel over query heads. */
    private void attend(float[] q, LayerKvCache cache, int firstSlot, int rows, float[] out) {
        float[] keys = cache.keys(), values = cache.values();
        int stride = cache.rowStride();
        VectorMath.pfor(0, c.numberOfHeads, h -> {
            int kvOff = c.maybeMapToGroupHead(h) * c.headSize;
            float[] probs = new float[firstSlot + rows];
            for (int r = 0; r < rows; r++) {
                int off = r * qLength + h * c.headSize;
                kernels.attend(q, off, keys, values, stride, kvOff, firstSlot + r + 1, c.headSize, scale, probs, out, off);
            }
        });
    }

    private AbstractTensor outputProjection(float[] attention, int rows) {
        AbstractTensor result = model.makeDenseTensor(rows, c.embeddingLength);
        try (AbstractTensor at = model.makeDenseTensor(rows, qLength)) {
            TensorArrays.fromArray(attention, rows, qLength, at);
            var ops = TensorOperationsProvider.get();
            VectorMath.pchunk(0, c.embeddingLength, (start, len) -> ops.dotProductChunk(result, at, outputWeights, 0, qLength, start, len));
            outputBias.ifPresent(b -> ops.accumulate(result, b, 0, c.embeddingLength));
        }
        return result;
    }

}
