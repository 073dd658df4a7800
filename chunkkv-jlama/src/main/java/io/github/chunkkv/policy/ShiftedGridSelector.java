package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;

/**
 * ChunkKV on a chunk grid whose start is chosen per layer by score. For every offset o in [0, chunk) the positions
 * [0, n - window) are cut into [0, o), [o, o + c), [o + 2c, ...) (first and last chunk may be partial), the top chunks
 * by mean score are taken as {@link TopChunkSelector} takes them (same count), and the offset whose kept chunks hold
 * the most total score wins; ties go to the smaller offset, so flat scores give the paper's fixed grid. A fact that
 * the fixed grid cuts in two is kept whole whenever its span scores high enough to pull the grid onto it.
 */
public final class ShiftedGridSelector extends ChunkBudgetSelector {
    /** A selector using {@code config}'s chunk size, window and cache size (ratio or budget). */
    public ShiftedGridSelector(Kernels kernels, ChunkKvConfig config) {
        super(kernels, config);
    }

    @Override
    public int[] select(float[] scores, int n, int layer) {
        int len = n - window;
        double[] prefix = ChunkSums.prefix(scores, len);
        int k = chunksKept(len);
        int[] bestStarts = null;
        int[] bestTop = null;
        double bestKept = Double.NEGATIVE_INFINITY;
        for (int offset = 0; offset < Math.min(chunk, len); offset++) {
            int[] starts = starts(offset, len);
            int chunks = starts.length - 1;
            float[] means = new float[chunks];
            for (int i = 0; i < chunks; i++) means[i] = (float) (ChunkSums.sum(prefix, starts[i], starts[i + 1]) / (starts[i + 1] - starts[i]));
            int[] top = kernels.topK(means, chunks, Math.min(k, chunks));
            double kept = 0;
            for (int i : top) kept += ChunkSums.sum(prefix, starts[i], starts[i + 1]);
            if (kept > bestKept) {
                bestKept = kept;
                bestStarts = starts;
                bestTop = top;
            }
        }
        int[] outside = new int[len];
        int count = 0;
        for (int i : bestTop) {
            for (int p = bestStarts[i]; p < bestStarts[i + 1]; p++) outside[count++] = p;
        }
        return Slots.withWindow(outside, count, n, window);
    }

    /** Chunk boundaries of the grid starting at {@code offset}: 0, offset (if > 0), offset + c, ..., len. */
    private int[] starts(int offset, int len) {
        int head = offset > 0 ? 1 : 0;
        int body = (len - offset + chunk - 1) / chunk;
        int[] starts = new int[head + body + 1];
        for (int i = 0; i < body; i++) starts[head + i] = offset + i * chunk;
        starts[head + body] = len;
        return starts;
    }
}
