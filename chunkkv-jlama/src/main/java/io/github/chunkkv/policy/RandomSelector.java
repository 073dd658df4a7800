package io.github.chunkkv.policy;

import java.util.BitSet;
import java.util.SplittableRandom;

/** Uniformly random tokens plus the window: the floor every policy should beat. Deterministic in (seed, layer, n). */
public final class RandomSelector implements Selector {
    private final int window;
    private final long seed;
    private final LayerBudget budget;

    /**
     * A selector that keeps the last {@code window} positions and, per layer, {@code budget}'s count of random ones
     * drawn from {@code seed}.
     */
    public RandomSelector(int window, long seed, LayerBudget budget) {
        this.window = window;
        this.seed = seed;
        this.budget = budget;
    }

    @Override
    public int[] select(float[] scores, int n, int layer) {
        int candidates = n - window, k = budget.keptOutsideWindow(layer, n);
        SplittableRandom rnd = new SplittableRandom((seed * 31 + layer) * 31 + n);
        // Floyd's sampling: k distinct positions in O(k) draws, each subset equally likely.
        BitSet chosen = new BitSet(candidates);
        for (int j = candidates - k; j < candidates; j++) {
            int t = rnd.nextInt(j + 1);
            chosen.set(chosen.get(t) ? j : t);
        }
        return Slots.withWindow(chosen.stream().toArray(), k, n, window);
    }

    @Override
    public int keepsWholeUpTo() {
        return window;
    }
}
