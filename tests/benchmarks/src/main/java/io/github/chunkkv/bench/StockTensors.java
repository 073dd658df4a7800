package io.github.chunkkv.bench;

import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.BFloat16BufferTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import java.util.SplittableRandom;

/**
 * Jlama tensors for the matrix-product benchmarks: random weights in a given type (Jlama's own conversions), and activations
 * and results in the type stock Jlama multiplies such weights with (BF16 for BF16 weights, F32 otherwise).
 */
final class StockTensors {
    private StockTensors() {}

    /** An n x k F32 weight matrix of values drawn uniformly from [-0.05, 0.05), a trained layer's typical scale. */
    static FloatBufferTensor randomWeights(SplittableRandom rnd, int n, int k) {
        FloatBufferTensor w = new FloatBufferTensor(n, k);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < k; i++) w.set((float) rnd.nextDouble(-0.05, 0.05), j, i);
        }
        return w;
    }

    /** A new tensor holding {@code w} as {@code type}: F32 (a copy), BF16 or Q4. */
    static AbstractTensor weights(DType type, FloatBufferTensor w) {
        return switch (type) {
            case F32 -> new FloatBufferTensor(w);
            case BF16 -> new BFloat16BufferTensor(w);
            case Q4 -> new Q4ByteBufferTensor(w);
            default -> throw new IllegalArgumentException("weights must be F32, BF16 or Q4, got " + type);
        };
    }

    /** {@code a} in the type stock Jlama multiplies {@code weights} with. */
    static AbstractTensor activations(DType weights, FloatBufferTensor a) {
        return weights == DType.BF16 ? new BFloat16BufferTensor(a) : a;
    }

    /** A rows x n result tensor of the type stock Jlama writes products with {@code weights} to. */
    static AbstractTensor result(DType weights, int rows, int n) {
        return weights == DType.BF16 ? new BFloat16BufferTensor(rows, n) : new FloatBufferTensor(rows, n);
    }
}
