package io.github.chunkkv.policy;

import io.github.chunkkv.simd.Kernels;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** Test inputs: layers of random keys, values and queries, and layers whose attention is planted. */
final class Layers {
    static final int HEADS = 4, KV_HEADS = 2, HEAD_SIZE = 16;
    private static final Kernels K = Kernels.preferred();

    private Layers() {}

    /** {@code n} random cache rows whose last {@code rows} queries were observed. */
    static LayerView random(int n, int rows, long seed) {
        return random(n, rows, seed, HEADS, KV_HEADS, HEAD_SIZE);
    }

    static LayerView random(int n, int rows, long seed, int heads, int kvHeads, int headSize) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] queries = gaussian(rnd, rows * heads * headSize);
        float[] keys = gaussian(rnd, n * kvHeads * headSize), values = gaussian(rnd, n * kvHeads * headSize);
        return new LayerView(K, keys, values, IntStream.range(0, n).toArray(), kvHeads * headSize, n, 0, heads, kvHeads, headSize, queries,
                rows, 0.25f);
    }

    /**
     * One head, one observed row (the last), whose attention over the columns is proportional to {@code weights}:
     * head size 1, query 1, key j = ln(weights[j]), so softmax gives weights[j] / sum(weights).
     */
    static LayerView planted(float[] weights) {
        int n = weights.length;
        float[] keys = new float[n];
        for (int j = 0; j < n; j++) keys[j] = (float) Math.log(weights[j]);
        return new LayerView(K, keys, new float[n], IntStream.range(0, n).toArray(), 1, n, 0, 1, 1, 1, new float[] {1f}, 1, 1f);
    }

    static float[] gaussian(SplittableRandom rnd, int count) {
        float[] x = new float[count];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
