package io.github.chunkkv.policy;

import io.github.chunkkv.simd.Kernels;

/** SnapKV / H2O / PyramidKV selection: the highest-scoring individual tokens plus the window. */
public final class TopTokenSelector implements Selector {
    private final Kernels kernels;
    private final int window;
    private final LayerBudget budget;

    /** A selector that keeps the last {@code window} positions and, per layer, the count {@code budget} gives. */
    public TopTokenSelector(Kernels kernels, int window, LayerBudget budget) {
        this.kernels = kernels;
        this.window = window;
        this.budget = budget;
    }

    @Override
    public int[] select(float[] scores, int n, int layer) {
        int k = budget.keptOutsideWindow(layer, n);
        return Slots.withWindow(kernels.topK(scores, n - window, k), k, n, window);
    }

    @Override
    public int keepsWholeUpTo() {
        return window;
    }
}
