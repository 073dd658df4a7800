package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;

/**
 * Base of the ChunkKV variants that place chunks differently from the paper's fixed grid: they keep as many chunks,
 * or as many positions, as {@link TopChunkSelector} would, so every variant is compared at the same cache size.
 */
abstract class ChunkBudgetSelector implements Selector {
    /** The kernels that score and rank positions. */
    protected final Kernels kernels;
    /** Positions per chunk ({@link ChunkKvConfig#chunkSize()}). */
    protected final int chunk;
    /** Last positions always kept and never selected among ({@link ChunkKvConfig#window()}). */
    protected final int window;
    private final TopChunkSelector grid;

    ChunkBudgetSelector(Kernels kernels, ChunkKvConfig config) {
        this.kernels = kernels;
        this.chunk = config.chunkSize();
        this.window = config.window();
        this.grid = new TopChunkSelector(kernels, config);
    }

    /** Chunks the fixed grid keeps out of {@code len} positions outside the window. */
    protected int chunksKept(int len) {
        return grid.chunksKept((len + chunk - 1) / chunk);
    }

    /** Positions kept outside the window: the fixed grid's whole chunks, at most all {@code len}. */
    protected int quota(int len) {
        return Math.min(len, chunksKept(len) * chunk);
    }

    /** A cache of the window plus one chunk has a single chunk to keep. */
    @Override
    public int keepsWholeUpTo() {
        return grid.keepsWholeUpTo();
    }
}
