package io.github.chunkkv.policy;

import io.github.chunkkv.simd.Kernels;

/** Shared head reduction of the attention scorers: one score row per layer from per-head column sums. */
final class HeadScores {
    private HeadScores() {}

    /**
     * {@code alpha / groupSize * sum over query heads} of columns [0, len): averaging the query heads of each GQA
     * group and then summing over KV heads is the same as summing every head and dividing by the group size.
     */
    static float[] combine(Kernels kernels, AttentionObservation obs, int len, float alpha) {
        if (obs.numKvHeads() < 1 || obs.numHeads() % obs.numKvHeads() != 0) {
            throw new IllegalArgumentException("observation numHeads (" + obs.numHeads() + ") must be a positive multiple of numKvHeads ("
                    + obs.numKvHeads() + ")");
        }
        if (obs.rows() < 1) throw new IllegalArgumentException("observation rows must be >= 1, got " + obs.rows());
        float weight = alpha / (obs.numHeads() / obs.numKvHeads());
        float[] sum = new float[len];
        for (int h = 0; h < obs.numHeads(); h++) kernels.axpy(weight, obs.columnSums(), h * obs.cacheLength(), sum, 0, len);
        return sum;
    }
}
