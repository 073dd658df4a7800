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
public final class PeakCentredSelector implements Selector {
    private final TopChunkSelector grid;
    private final int chunk;
    private final int window;

    public PeakCentredSelector(Kernels kernels, ChunkKvConfig config) {
        this.grid = new TopChunkSelector(kernels, config);
        this.chunk = config.chunkSize();
        this.window = config.window();
    }

    @Override
    public int[] select(float[] scores, int n, int layer) {
        int len = n - window;
        int quota = Math.min(len, grid.chunksKept((len + chunk - 1) / chunk) * chunk);
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

    /** A cache of the window plus one chunk has a single chunk to keep. */
    @Override
    public int keepsWholeUpTo() {
        return grid.keepsWholeUpTo();
    }
}
