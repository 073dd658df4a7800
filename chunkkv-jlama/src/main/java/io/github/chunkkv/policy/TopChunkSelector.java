package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;

/**
 * ChunkKV selection: positions [0, n - window) split into chunks of {@code chunkSize} (the
 * last may be partial), chunk score = mean token score, the top k chunks kept whole plus the window.
 * k = ⌊(budget - window) / chunkSize⌋ for a budget, max(1, ⌊chunks · ratio⌋) for a ratio; ties keep the earlier chunk.
 */
public final class TopChunkSelector implements Selector {
    private final Kernels kernels;
    private final ChunkKvConfig config;

    /** A selector using {@code config}'s chunk size, window and cache size (ratio or budget). */
    public TopChunkSelector(Kernels kernels, ChunkKvConfig config) {
        this.kernels = kernels;
        this.config = config;
    }

    /** Number of chunks kept out of {@code chunks}. */
    public int chunksKept(int chunks) {
        int k = config.usesRatio()
                ? Math.max(1, (int) Math.floor(chunks * config.keepRatio()))
                : (config.budget() - config.window()) / config.chunkSize();
        return Math.min(chunks, k);
    }

    @Override
    public int[] select(float[] scores, int n, int layer) {
        int c = config.chunkSize(), window = config.window(), len = n - window;
        float[] means = new float[Math.ceilDiv(len, c)];
        int chunks = kernels.chunkMeans(scores, len, c, means);
        int[] top = kernels.topK(means, chunks, chunksKept(chunks));
        int[] outside = new int[len];
        int count = 0;
        for (int chunk : top) {
            for (int p = chunk * c, end = Math.min(len, p + c); p < end; p++) outside[count++] = p;
        }
        return Slots.withWindow(outside, count, n, window);
    }

    /** A cache of the window plus one chunk has a single chunk to keep. */
    @Override
    public int keepsWholeUpTo() {
        return config.window() + config.chunkSize();
    }
}
