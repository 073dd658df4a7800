package io.github.chunkkv.policy;

/** Turns per-position scores into the kept slots of one layer. */
@FunctionalInterface
public interface Selector {
    /**
     * Kept slots, strictly ascending, always including the window {@code [n - window, n)}; called only when
     * {@code n} exceeds the window.
     *
     * @param scores one score per position of {@code [0, n - window)}, or null for selectors that ignore scores
     */
    int[] select(float[] scores, int n, int layer);

    /** Keeps every slot (FullKV). */
    static Selector keepAll() {
        return (scores, n, layer) -> Slots.range(0, n);
    }
}
