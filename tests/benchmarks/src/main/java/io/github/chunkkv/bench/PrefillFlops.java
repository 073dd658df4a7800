package io.github.chunkkv.bench;

import com.github.tjake.jlama.safetensors.Config;

/**
 * The arithmetic of one prefill on a Llama-style model, in flops (a multiply-add counts 2): every layer's Q/K/V/O
 * projections and gated MLP for every prompt token, plus causal attention (q·k and p·v over the visible slots of each
 * row and query head). The classifier, run for the last token only, and element-wise work are left out.
 */
final class PrefillFlops {
    private PrefillFlops() {}

    static long of(Config c, int tokens) {
        long qLength = (long) c.numberOfHeads * c.headSize;
        long weightsPerLayer = c.embeddingLength * (qLength + 2L * c.kvLength) + qLength * c.embeddingLength
                + 3L * c.embeddingLength * c.hiddenLength;
        long matmuls = 2L * tokens * weightsPerLayer;
        long attention = 2L * qLength * tokens * (tokens + 1L); // sum over rows r of 4 * qLength * (r + 1)
        return (matmuls + attention) * c.numberOfLayers;
    }
}
