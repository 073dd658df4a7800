package io.github.chunkkv.policy;

/**
 * Layer-wise index reuse (section 3.3 of the ChunkKV paper, arXiv 2502.00299): with interval N, layers 0, N, 2N, ...
 * select and every layer l reuses the indices of layer ⌊l/N⌋·N, skipping its own scoring. N = 1 means every layer
 * selects.
 */
public final class ReuseSchedule {
    private final int interval;

    /**
     * A schedule in which groups of {@code interval} layers (at least 1) share the first layer's indices.
     * @throws IllegalArgumentException when {@code interval} is below 1
     */
    public ReuseSchedule(int interval) {
        if (interval < 1) throw new IllegalArgumentException("reuse interval N must be >= 1, got " + interval);
        this.interval = interval;
    }

    /** The layer whose indices {@code layer} keeps: ⌊layer / N⌋ · N, which is {@code layer} itself when it selects. */
    public int indexSource(int layer) {
        return layer / interval * interval;
    }

    /** True when {@code layer} scores and selects its own indices (a multiple of N); false when it reuses them. */
    public boolean selects(int layer) {
        return layer % interval == 0;
    }
}
