package io.github.chunkkv.policy;

import io.github.chunkkv.simd.Kernels;

/**
 * H2O scores: attention accumulated over every observed prompt row, each column divided by how many of those rows
 * could see it (so early tokens are not favoured just for being visible longer). The recent window is excluded
 * (the selector keeps it anyway); no pooling.
 */
public final class AccumulatedAttentionScorer implements TokenScorer {
    private final Kernels kernels;
    private final int window;

    /** A scorer that leaves out the last {@code window} positions (the recent window the selector keeps anyway). */
    public AccumulatedAttentionScorer(Kernels kernels, int window) {
        this.kernels = kernels;
        this.window = window;
    }

    /** The whole prompt. */
    @Override
    public int observedQueries(int cacheLength) {
        return cacheLength;
    }

    @Override
    public float[] score(LayerView layer) {
        return score(layer.attention());
    }

    /** The scores of one observation of the layer's attention. */
    public float[] score(AttentionObservation observation) {
        int len = observation.cacheLength() - window;
        float[] scores = HeadScores.combine(kernels, observation, len, 1f);
        for (int j = 0; j < len; j++) scores[j] /= observation.rowsSeeing(j);
        return scores;
    }
}
