package io.github.chunkkv.policy;

/**
 * StreamingLLM: the first {@code sinks} tokens (attention sinks) plus the most recent ones, window included, to the
 * same total as the token policies. Sinks give way when the budget barely covers the window.
 */
public final class RecentSelector implements Selector {
    private final int window;
    private final int sinks;
    private final LayerBudget budget;

    /**
     * A selector keeping {@code sinks} leading tokens plus the most recent ones, {@code window} + {@code budget}'s
     * per-layer count in all.
     */
    public RecentSelector(int window, int sinks, LayerBudget budget) {
        this.window = window;
        this.sinks = sinks;
        this.budget = budget;
    }

    @Override
    public int[] select(float[] scores, int n, int layer) {
        int outside = budget.keptOutsideWindow(layer, n);
        int keptSinks = Math.min(sinks, outside);
        int recentFrom = n - window - (outside - keptSinks);
        int[] kept = new int[outside + window];
        for (int i = 0; i < keptSinks; i++) kept[i] = i;
        for (int i = keptSinks; i < kept.length; i++) kept[i] = recentFrom + i - keptSinks;
        return kept;
    }

    @Override
    public int keepsWholeUpTo() {
        return window;
    }
}
