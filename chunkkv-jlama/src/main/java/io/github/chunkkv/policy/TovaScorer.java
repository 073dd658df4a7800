package io.github.chunkkv.policy;

import io.github.chunkkv.simd.Kernels;

/**
 * TOVA (Oren et al., "Transformers are Multi-State RNNs", 2024) at prefill, as kvpress's TOVAPress: a position is
 * worth the attention the last prompt query pays it, query heads averaged within each GQA group and summed over KV
 * heads. No pooling.
 *
 * @param kernels the kernels that score positions
 * @param window last positions left out of scoring (the selector keeps them anyway)
 */
public record TovaScorer(Kernels kernels, int window) implements TokenScorer {
    /** The last prompt row only. */
    @Override
    public int observedQueries(int cacheLength) {
        return Math.min(1, cacheLength);
    }

    @Override
    public float[] score(LayerView layer) {
        AttentionObservation last = layer.attention();
        return HeadScores.combine(kernels, last, last.cacheLength() - window, 1f);
    }
}
