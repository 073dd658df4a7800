package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;

/**
 * ChunkKV with chunks centred on score peaks instead of cut from a grid: the best-scoring position not yet kept
 * takes a chunk of {@code chunk} positions around it (one more after it than before it when the size is even),
 * grown only over positions not yet kept, so a chunk stops at a kept neighbour and grows on its other side instead.
 * Peaks are taken best first (ties: the lower position) until the cache holds as many positions as
 * {@link TopChunkSelector}'s whole chunks; the last chunk is cut to fit. A fact whose tokens sit within half a chunk
 * of its highest-scoring token is never split, wherever a grid line would fall.
 */
public final class PeakCentredSelector extends ChunkBudgetSelector {
    /** A selector using {@code config}'s chunk size, window and cache size (ratio or budget). */
    public PeakCentredSelector(Kernels kernels, ChunkKvConfig config) {
        super(kernels, config);
    }

    @Override
    public int[] select(float[] scores, int n, int layer) {
        int len = n - window;
        int quota = quota(len);
        boolean[] kept = new boolean[len];
        int count = 0;
        for (int peak : Ranking.descending(scores, len)) {
            if (count == quota) break;
            if (!kept[peak]) count += grow(kept, peak, Math.min(chunk, quota - count));
        }
        int[] outside = new int[count];
        for (int p = 0, i = 0; p < len; p++) if (kept[p]) outside[i++] = p;
        return Slots.withWindow(outside, count, n, window);
    }

    /** Marks up to {@code size} free positions around {@code peak}, alternating after and before it; returns how many. */
    private static int grow(boolean[] kept, int peak, int size) {
        kept[peak] = true;
        int first = peak, last = peak, marked = 1;
        boolean after = true;
        while (marked < size) {
            boolean canAfter = last + 1 < kept.length && !kept[last + 1];
            boolean canBefore = first > 0 && !kept[first - 1];
            if (!canAfter && !canBefore) break;
            if (canAfter && (after || !canBefore)) kept[++last] = true;
            else kept[--first] = true;
            marked++;
            after = !after;
        }
        return marked;
    }
}
