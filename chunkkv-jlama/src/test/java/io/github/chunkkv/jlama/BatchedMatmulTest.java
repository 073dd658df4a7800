package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.BFloat16BufferTensor;
import com.github.tjake.jlama.tensor.Float16BufferTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import io.github.chunkkv.simd.Kernels;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The prefill GEMM and decoding's Q4 matrix-vector path over Jlama's own weight tensors, against the product of the values the tensors stand for
 * (Jlama's {@code get}, which dequantizes), on shapes that cross its panels and row blocks and leave partial tiles.
 */
class BatchedMatmulTest {
    private final SplittableRandom rnd = new SplittableRandom(5);
    private final BatchedMatmul matmul = new BatchedMatmul(Kernels.preferred());

    @ParameterizedTest
    @EnumSource(names = {"F32", "BF16", "Q4"})
    void multipliesEveryWeightTypeAsTheValuesItStandsFor(DType type) {
        int[] depths = type == DType.Q4 ? new int[] {32, 160, 544} : new int[] {1, 19, 96}; // Q4: whole blocks, then wide reads
        for (int rows : new int[] {1, 3, 17, 131}) {
            for (int n : new int[] {1, 7, 33}) {
                for (int k : depths) check(rows, weights(type, n, k), type + " " + rows + "x" + n + "x" + k);
            }
        }
    }

    /** Many more weight rows than one panel holds at this depth, so several panels and their last, partial one run. */
    @Test
    void crossesPanelsOfAWideMatrix() {
        check(20, weights(DType.F32, 1030, 4096), "1030 x 4096");
    }

    /** Decoding's Q4 path splits the weight rows into panels too: one row and the most rows below the GEMM's threshold. */
    @Test
    void decodingRowsOfQ4CrossPanels() {
        check(1, weights(DType.Q4, 130, 768), "Q4 1 x 130 x 768");
        check(BatchedMatmul.MIN_ROWS - 1, weights(DType.Q4, 130, 96), "Q4 15 x 130 x 96");
    }

    /**
     * With F32 weights each output accumulates lane-wise as in Jlama's own F32 kernel, so only the final lane reduction
     * (whose order the JIT picks, in Jlama's kernel as in ours) may round differently: a few ulps of the largest term.
     * Rows a multiple of 3 and columns of 4: Jlama's tiler leaves the corner of ragged shapes unwritten.
     */
    @Test
    void f32ProductsMatchStockJlamasToTheFinalReduction() {
        int rows = 36, n = 44, k = 256;
        FloatBufferTensor a = new FloatBufferTensor(rows, k);
        float[] x = new float[rows * k];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < k; i++) a.set(x[r * k + i] = (float) rnd.nextDouble(-1, 1), r, i);
        }
        AbstractTensor w = weights(DType.F32, n, k);
        FloatBufferTensor stock = new FloatBufferTensor(rows, n);
        TensorOperationsProvider.get().batchDotProduct(stock, a, w, 0, 0, k, 0, 0, n);
        float[] ours = matmul.multiply(x, rows, w);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                float expected = stock.get(r, j);
                assertEquals(expected, ours[r * n + j], 1e-6f * k, "[" + r + "," + j + "]");
            }
        }
    }

    @Test
    void coversPrefillBatchesOfFloatActivationsAndDecodingOfQ4TimesF32() {
        assertTrue(BatchedMatmul.covers(DType.F32, BatchedMatmul.MIN_ROWS, DType.Q4));
        assertTrue(BatchedMatmul.covers(DType.BF16, 2048, DType.BF16));
        assertFalse(BatchedMatmul.covers(DType.F32, 1, DType.F32), "F32 decoding stays on Jlama's matrix-vector kernels");
        assertFalse(BatchedMatmul.covers(DType.BF16, 1, DType.BF16), "BF16 decoding stays on Jlama's matrix-vector kernels");
        assertTrue(BatchedMatmul.covers(DType.F32, 1, DType.Q4), "Q4 x F32 decoding runs on ChunkKV's matrix-vector kernel");
        assertFalse(BatchedMatmul.covers(DType.I8, 1, DType.Q4), "I8 x Q4 integer products stay on Jlama's kernels");
        assertFalse(BatchedMatmul.covers(DType.I8, 2048, DType.Q4), "I8 x Q4 integer products stay on Jlama's kernels");
        assertFalse(BatchedMatmul.covers(DType.F32, 2048, DType.F16));
    }

    @Test
    void rejectsUncoveredWeightsAndShortActivationsBeforeWork() {
        AbstractTensor w = weights(DType.F32, 4, 8);
        IllegalArgumentException shortA = assertThrows(IllegalArgumentException.class, () -> matmul.multiply(new float[15], 2, w));
        assertTrue(shortA.getMessage().startsWith("a must hold rows * k = 16 values"), shortA.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> matmul.multiply(new float[16], -1, w));
        assertTrue(negative.getMessage().startsWith("rows must be >= 0"), negative.getMessage());
        IllegalArgumentException f16 = assertThrows(IllegalArgumentException.class,
                () -> matmul.multiply(new float[16], 2, new Float16BufferTensor(4, 8)));
        assertTrue(f16.getMessage().startsWith("weights must be one of"), f16.getMessage());
    }

    private void check(int rows, AbstractTensor w, String shape) {
        int n = w.shape().dim(0), k = w.shape().dim(1);
        float[] a = new float[rows * k];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextDouble(-1, 1);
        float[] out = matmul.multiply(a, rows, w);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double expected = 0, absSum = 0;
                for (int i = 0; i < k; i++) {
                    double p = (double) a[r * k + i] * w.get(j, i);
                    expected += p;
                    absSum += Math.abs(p);
                }
                assertTrue(Math.abs(expected - out[r * n + j]) <= 1e-5 * absSum + 1e-30,
                        shape + " [" + r + "," + j + "]: expected " + expected + ", got " + out[r * n + j]);
            }
        }
    }

    private AbstractTensor weights(DType type, int n, int k) {
        FloatBufferTensor f = new FloatBufferTensor(n, k);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < k; i++) f.set((float) rnd.nextDouble(-1, 1), j, i);
        }
        return switch (type) {
            case F32 -> f;
            case BF16 -> new BFloat16BufferTensor(f);
            case Q4 -> new Q4ByteBufferTensor(f);
            default -> throw new IllegalArgumentException(type.name());
        };
    }
}
