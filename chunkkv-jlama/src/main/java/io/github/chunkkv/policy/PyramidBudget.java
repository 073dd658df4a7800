package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;

/**
 * PyramidKV budgets: the positions kept outside the window fall linearly from the first layer to the last, with the
 * same total as the uniform budget. With m layers, u = {@link ChunkKvConfig#keptOutsideWindow(int)} (the uniform
 * per-layer count) and cap = n - window:
 * <pre>
 *   top    = ⌊u / β⌋, β = 20 (PyramidKV's default)      last layer
 *   bottom = 2u - top                                     first layer; if bottom &gt; cap: bottom = cap, top = 2u - cap
 *   t(l)   = bottom - (bottom - top) · l / (m - 1)        (t = u when m = 1), so Σ t(l) = m · u
 *   b(l)   = ⌊t(l)⌋, plus 1 for the first R layers below cap, R = m · u - Σ ⌊t(l)⌋
 * </pre>
 * Every b(l) lies in [0, cap], the list never increases with depth, and Σ b(l) = m · u exactly. Each layer also keeps
 * the whole window.
 */
public final class PyramidBudget implements LayerBudget {
    private static final int BETA = 20;
    private final ChunkKvConfig config;
    private final int numLayers;

    /**
     * Budgets for a model of {@code numLayers} layers (at least 1) whose uniform per-layer count {@code config} gives.
     */
    public PyramidBudget(ChunkKvConfig config, int numLayers) {
        if (numLayers < 1) throw new IllegalArgumentException("numLayers must be >= 1, got " + numLayers);
        this.config = config;
        this.numLayers = numLayers;
    }

    @Override
    public int keptOutsideWindow(int layer, int n) {
        return perLayer(n)[layer];
    }

    /** Every layer's count outside the window, first layer first. */
    public int[] perLayer(int n) {
        int m = numLayers;
        long u = config.keptOutsideWindow(n), cap = Math.max(0, n - config.window());
        long top = u / BETA, bottom = 2 * u - top;
        if (bottom > cap) {
            bottom = cap;
            top = 2 * u - cap;
        }
        int[] b = new int[m];
        long remainder = m * u;
        for (int l = 0; l < m; l++) {
            // Exact integer floor of t(l) = (bottom·(m-1) - (bottom-top)·l) / (m-1).
            b[l] = (int) (m == 1 ? u : Math.floorDiv(bottom * (m - 1) - (bottom - top) * l, m - 1));
            remainder -= b[l];
        }
        for (int l = 0; l < m && remainder > 0; l++) {
            if (b[l] < cap) {
                b[l]++;
                remainder--;
            }
        }
        return b;
    }
}
