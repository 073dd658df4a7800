package io.github.chunkkv.policy;

import java.util.Arrays;

/** Building blocks of kept-slot lists. */
final class Slots {
    private Slots() {}

    static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    /** The first {@code count} of {@code outside} (ascending, all below n - window) followed by the window. */
    static int[] withWindow(int[] outside, int count, int n, int window) {
        int[] kept = Arrays.copyOf(outside, count + window);
        for (int i = 0; i < window; i++) kept[count + i] = n - window + i;
        return kept;
    }
}
