package io.github.chunkkv.policy;

import java.util.Arrays;

/** Orders indices by value, best first, with one primitive sort (a float and its index packed into a long). */
final class Ranking {
    private Ranking() {}

    /** Indices [0, len) by descending value, ties toward the lower index. */
    static int[] descending(float[] values, int len) {
        long[] keys = new long[len];
        for (int i = 0; i < len; i++) keys[i] = ((long) ~sortable(values[i]) << 32) | i; // ascending keys = descending values
        Arrays.sort(keys);
        int[] order = new int[len];
        for (int i = 0; i < len; i++) order[i] = (int) keys[i];
        return order;
    }

    /** An int whose signed order is the float order, negative values included. */
    private static int sortable(float value) {
        int bits = Float.floatToIntBits(value);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }
}
