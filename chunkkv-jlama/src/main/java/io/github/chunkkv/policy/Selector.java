package io.github.chunkkv.policy;

/** Turns per-position scores into the kept slots of one layer. */
public interface Selector {
    /**
     * Kept slots, strictly ascending, always including the window {@code [n - window, n)}; called only when
     * {@code n} exceeds {@link #keepsWholeUpTo()}.
     *
     * @param scores one score per position of {@code [0, n - window)}, or null when the policy has no scorer
     */
    int[] select(float[] scores, int n, int layer);

    /** Caches of at most this many positions are kept whole: there is nothing to choose between. */
    int keepsWholeUpTo();

    /** Keeps every slot (FullKV). */
    static Selector keepAll() {
        return new Selector() {
            @Override
            public int[] select(float[] scores, int n, int layer) {
                return Slots.range(0, n);
            }

            @Override
            public int keepsWholeUpTo() {
                return Integer.MAX_VALUE;
            }
        };
    }
}
