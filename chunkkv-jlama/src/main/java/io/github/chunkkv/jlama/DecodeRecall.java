package io.github.chunkkv.jlama;

import com.github.tjake.jlama.math.VectorMath;
import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Decode-time recall (Quest's query-aware chunk selection over ArkVale-style recallable chunks): before a decode
 * step's attention, each layer asks whether the step's query could attend to a cold chunk, and promotes such chunks
 * into the hot cache so the step attends over hot + promoted rows. The question that scored the last re-selection
 * is not the only reader of the cache: while an answer is decoded, later layers look up rows (the next value token,
 * the end of a span) that the question never attended to.
 *
 * <p>Rule, per layer and step: for each query head h and cold chunk c (with n_c cold rows and Quest bound B_c of
 * q_h·k), {@code n_c · exp(scale · B_c) / Z_h}, where Z_h is the softmax normaliser over the hot rows, bounds the
 * attention the chunk could draw relative to everything hot. Chunks where this bound reaches {@link #MIN_MASS} for
 * some head are candidates; the {@code promote} highest are promoted. A threshold relative to the hot rows, rather
 * than Quest's fixed top-k, promotes nothing while the hot set holds what the query looks for, so memory grows only
 * when a step needs a cold row, and by at most {@code promote × chunk} rows per layer and step. Promoted rows stay
 * hot until the next re-selection (a later prefill, or the decoding cap).
 */
final class DecodeRecall {
    /**
     * Least bound on a chunk's attention relative to the hot rows that makes it a candidate. Measured on needle-lm
     * (multi-turn eval): see the README's Multi-turn memory section.
     */
    static final float MIN_MASS = 0.5f;
    private static final float LOG_MIN_MASS = (float) Math.log(MIN_MASS);

    private final Kernels kernels;
    private final int promote;
    private final int numHeads, headSize, group;
    private final float scale;
    private long promotedRows;

    DecodeRecall(Kernels kernels, int promote, int numHeads, int numKvHeads, int headSize, float scale) {
        this.kernels = kernels;
        this.promote = promote;
        this.numHeads = numHeads;
        this.headSize = headSize;
        this.group = numHeads / numKvHeads;
        this.scale = scale;
    }

    /** Rows promoted since {@link #resetCount}. */
    long promotedRows() {
        return promotedRows;
    }

    void resetCount() {
        promotedRows = 0;
    }

    /**
     * Promotes the layer's cold chunks the query rows {@code q} (post-RoPE, all heads per row) may attend to into
     * {@code cache}, before those rows are appended and attend.
     */
    void beforeAttention(int layer, float[] q, int rows, LayerKvCache cache, ColdTier cold) {
        ColdChunkSummaries summaries = cold.summaries();
        int chunks = summaries.chunks(layer);
        if (chunks == 0) return;
        float[][] evidence = new float[numHeads][];
        VectorMath.pfor(0, numHeads, h -> evidence[h] = logMassBounds(layer, h, q, rows, cache, summaries, chunks));
        int[] chosen = strongest(evidence, chunks);
        if (chosen.length > 0) promotedRows += cold.promoteChunks(layer, chosen, cache);
    }

    /** Per chunk, log of the bound on its attention relative to the hot rows for head h (max over the rows). */
    private float[] logMassBounds(int layer, int h, float[] q, int rows, LayerKvCache cache, ColdChunkSummaries summaries, int chunks) {
        int kvHead = h / group, kvOff = kvHead * headSize, stride = cache.rowStride(), hot = cache.size();
        float[] keys = cache.keys();
        float[] bounds = new float[chunks], out = new float[chunks];
        Arrays.fill(out, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < rows; r++) {
            int qOff = (r * numHeads + h) * headSize;
            float max = Float.NEGATIVE_INFINITY;
            float[] logits = new float[hot];
            for (int s = 0; s < hot; s++) max = Math.max(max, logits[s] = scale * kernels.dot(q, qOff, keys, s * stride + kvOff, headSize));
            double z = 0;
            for (int s = 0; s < hot; s++) z += Math.exp(logits[s] - max);
            float logZ = hot == 0 ? Float.NEGATIVE_INFINITY : max + (float) Math.log(z);
            summaries.upperBounds(layer, q, qOff, kvHead, bounds);
            for (int c = 0; c < chunks; c++) {
                int n = summaries.coldRows(layer, c);
                if (n > 0) out[c] = Math.max(out[c], (float) Math.log(n) + scale * bounds[c] - logZ);
            }
        }
        return out;
    }

    /** Ids (ascending) of the at most {@code promote} chunks with the highest evidence of any head above the threshold. */
    private int[] strongest(float[][] evidence, int chunks) {
        float[] best = new float[chunks];
        Arrays.fill(best, Float.NEGATIVE_INFINITY);
        for (float[] head : evidence) for (int c = 0; c < chunks; c++) best[c] = Math.max(best[c], head[c]);
        int[] ids = IntStream.range(0, chunks).filter(c -> best[c] >= LOG_MIN_MASS).toArray();
        if (ids.length <= promote) return ids;
        float[] score = new float[ids.length];
        for (int i = 0; i < ids.length; i++) score[i] = best[ids[i]];
        int[] top = kernels.topK(score, ids.length, promote); // ascending indices into ids, so ids stay ascending
        for (int i = 0; i < top.length; i++) top[i] = ids[top[i]];
        return top;
    }
}
