package io.github.chunkkv.policy;

import io.github.chunkkv.simd.ScalarKernels;
import java.util.SplittableRandom;

/** Test inputs: real attention observations computed by the scalar kernels, and hand-planted ones. */
final class Observations {
    static final int HEADS = 4, KV_HEADS = 2, HEAD_SIZE = 16;

    private Observations() {}

    /** Attention of the last {@code rows} of {@code n} random positions, as the cache would observe it. */
    static AttentionObservation random(int n, int rows, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] queries = new float[rows * HEADS * HEAD_SIZE], keys = new float[n * KV_HEADS * HEAD_SIZE];
        for (int i = 0; i < queries.length; i++) queries[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < keys.length; i++) keys[i] = (float) rnd.nextGaussian();
        float[] sums = new float[HEADS * n];
        ScalarKernels.INSTANCE.windowColumnSums(queries, rows, n - rows, keys, KV_HEADS * HEAD_SIZE, n, HEADS, KV_HEADS, HEAD_SIZE,
                0.25f, sums);
        return new AttentionObservation(sums, rows, HEADS, KV_HEADS, n);
    }

    /** One head, one row, with the given column sums. */
    static AttentionObservation planted(float[] columnSums) {
        return new AttentionObservation(columnSums, 1, 1, 1, columnSums.length);
    }
}
