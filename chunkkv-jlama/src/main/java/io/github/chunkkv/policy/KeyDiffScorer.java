package io.github.chunkkv.policy;

import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;

/**
 * KeyDiff (Park et al., 2025), as kvpress's KeyDiffPress: a position is worth how far its key points from the layer's
 * typical key, minus the cosine similarity of the key to the mean of the layer's L2-normalised keys, per KV head,
 * summed over KV heads. It reads keys only, so no attention is observed.
 *
 * @param kernels the kernels that score positions
 * @param window last positions left out of scoring (the selector keeps them anyway)
 */
public record KeyDiffScorer(Kernels kernels, int window) implements TokenScorer {
    /** PyTorch's defaults for normalize and cosine_similarity, so zero keys score as they do there. */
    private static final double NORMALIZE_EPS = 1e-12, COSINE_EPS = 1e-8;

    @Override
    public float[] score(LayerView layer) {
        int n = layer.cacheLength(), d = layer.headSize();
        float[] keys = layer.keys(), anchor = new float[d], norms = new float[n], scores = new float[n - window];
        for (int g = 0; g < layer.numKvHeads(); g++) {
            Arrays.fill(anchor, 0f);
            for (int s = 0; s < n; s++) {
                int at = layer.offset(s, g);
                norms[s] = (float) Math.sqrt(kernels.dot(keys, at, keys, at, d));
                kernels.axpy((float) (1.0 / (Math.max(norms[s], NORMALIZE_EPS) * n)), keys, at, anchor, 0, d);
            }
            double anchorNorm = Math.sqrt(kernels.dot(anchor, 0, anchor, 0, d));
            for (int j = 0; j < scores.length; j++) {
                scores[j] -= (float) (kernels.dot(keys, layer.offset(j, g), anchor, 0, d) / Math.max(norms[j] * anchorNorm, COSINE_EPS));
            }
        }
        return scores;
    }
}
