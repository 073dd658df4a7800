package io.github.chunkkv.policy;

import io.github.chunkkv.simd.Kernels;

/**
 * SnapKV/ChunkKV scores: the mean attention the last {@code window} queries pay each
 * earlier position, smoothed by 1-D average pooling, heads averaged within GQA groups and summed over KV heads.
 */
public final class WindowAttentionScorer implements TokenScorer {
    private final Kernels kernels;
    private final int window;
    private final int poolingKernel;

    /**
     * A scorer observing the last {@code window} queries and pooling over {@code poolingKernel} positions (odd, as
     * {@link io.github.chunkkv.config.ChunkKvConfig#poolingKernel()} validates).
     */
    public WindowAttentionScorer(Kernels kernels, int window, int poolingKernel) {
        this.kernels = kernels;
        this.window = window;
        this.poolingKernel = poolingKernel;
    }

    @Override
    public int observedQueries(int cacheLength) {
        return Math.min(window, cacheLength);
    }

    @Override
    public float[] score(LayerView layer) {
        return score(layer.attention());
    }

    /** Every step is linear, so the heads are reduced before pooling: one pooling pass instead of one per head. */
    public float[] score(AttentionObservation observation) {
        int len = observation.cacheLength() - window;
        float[] perToken = HeadScores.combine(kernels, observation, len, 1f / observation.rows());
        float[] pooled = new float[len];
        kernels.avgPool(perToken, 0, len, poolingKernel, pooled, 0);
        return pooled;
    }
}
