package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;

/**
 * ChunkKV with chunks at free offsets: every run of {@code chunk} consecutive positions in [0, n - window) is a
 * candidate, scored by its total score; candidates are taken best first (ties: the earlier start) unless they overlap
 * one already taken, until as many chunks as {@link TopChunkSelector} keeps are taken. No fact is cut by a grid line
 * that it happens to cross. If overlaps leave too few whole chunks, the remaining budget goes to the best free
 * positions, so the cache holds as many positions as the fixed grid's.
 */
public final class SlidingChunkSelector extends ChunkBudgetSelector {
    /** A selector using {@code config}'s chunk size, window and cache size (ratio or budget). */
    public SlidingChunkSelector(Kernels kernels, ChunkKvConfig config) {
        super(kernels, config);
    }

    @Override
    public int[] select(float[] scores, int n, int layer) {
        int len = n - window;
        int quota = quota(len);
        boolean[] taken = new boolean[len];
        int count = 0;
        for (int start : startsBestFirst(scores, len)) {
            if (count + chunk > quota) break;
            if (taken[start] || taken[start + chunk - 1]) continue; // equal-length runs overlap iff an end is covered
            Arrays.fill(taken, start, start + chunk, true);
            count += chunk;
        }
        if (count < quota) count += fillBestFree(scores, len, taken, quota - count);
        int[] outside = new int[count];
        for (int p = 0, i = 0; p < len; p++) if (taken[p]) outside[i++] = p;
        return Slots.withWindow(outside, count, n, window);
    }

    /** Candidate starts [0, len - chunk] by descending run total, ties toward the earlier start (none if len < chunk). */
    private int[] startsBestFirst(float[] scores, int len) {
        double[] prefix = ChunkSums.prefix(scores, len);
        float[] totals = new float[Math.max(0, len - chunk + 1)];
        for (int start = 0; start < totals.length; start++) totals[start] = (float) ChunkSums.sum(prefix, start, start + chunk);
        return Ranking.descending(totals, totals.length);
    }

    /** Marks the {@code missing} best-scoring positions not yet taken; returns how many it marked. */
    private int fillBestFree(float[] scores, int len, boolean[] taken, int missing) {
        float[] free = Arrays.copyOf(scores, len);
        for (int p = 0; p < len; p++) if (taken[p]) free[p] = Float.NEGATIVE_INFINITY;
        for (int p : kernels.topK(free, len, missing)) taken[p] = true;
        return missing;
    }
}
