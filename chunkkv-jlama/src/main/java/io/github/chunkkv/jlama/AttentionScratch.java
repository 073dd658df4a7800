package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.AttentionPartials;

/**
 * The attention scratch one model's layers share. A model runs one forward pass at a time and a pass runs its layers
 * one after another, so one set of buffers serves every layer: they grow to the longest cache attended and are then
 * reused, so decode steps allocate none, and what stays allocated is one layer's step for the whole model.
 */
final class AttentionScratch {
    /** Split-K decode's per-block results. */
    final AttentionPartials partials;
    private final float[][] headProbs;

    AttentionScratch(int numHeads, int headSize) {
        this.partials = new AttentionPartials(numHeads, headSize);
        this.headProbs = new float[numHeads][0];
    }

    /**
     * The per-row kernel's softmax scratch for query head {@code head}, at least {@code visible} floats; only the task
     * of that head may use it. Grown with an eighth to spare, since each decode step sees one more row.
     */
    float[] probs(int head, int visible) {
        float[] probs = headProbs[head];
        if (probs.length < visible) headProbs[head] = probs = new float[visible + (visible >> 3)];
        return probs;
    }
}
