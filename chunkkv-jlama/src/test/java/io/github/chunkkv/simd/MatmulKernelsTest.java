package io.github.chunkkv.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.testing.RandomArrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The matrix-product kernels (prefill's product, BF16 decoding, Q4 dequantization; decoding's Q4 matrix-vector product)
 * against their scalar twins on awkward sizes.
 */
class MatmulKernelsTest {
    private static final Kernels S = ScalarKernels.INSTANCE;
    private static final Kernels V = VectorKernels.INSTANCE;
    private static final int L = FloatVector.SPECIES_PREFERRED.length();
    private static final int[] ROWS = {0, 1, 3, 4, 17};
    private static final int[] COLUMNS = {0, 1, 3, 4, 9, 17};
    private static final int[] DEPTHS = {0, 1, L - 1, L, L + 1, 61, 3 * L};

    private final SplittableRandom rnd = new SplittableRandom(11);

    private float[] random(int len) {
        return RandomArrays.uniform(rnd, len);
    }

    @Test
    void matmulTransposedMatchesScalarOnAwkwardShapes() {
        for (int rows : ROWS) {
            for (int n : COLUMNS) {
                for (int k : DEPTHS) {
                    int aOff = 2, bOff = 5, outOff = 3, outStride = n + 2;
                    float[] a = random(aOff + rows * k), b = random(bOff + n * k);
                    float[] expected = random(outOff + rows * outStride), actual = expected.clone();
                    S.matmulTransposed(a, aOff, rows, b, bOff, n, k, expected, outOff, outStride);
                    V.matmulTransposed(a, aOff, rows, b, bOff, n, k, actual, outOff, outStride);
                    String shape = rows + "x" + n + "x" + k;
                    for (int i = 0; i < expected.length; i++) {
                        boolean written = i >= outOff && (i - outOff) % outStride < n && (i - outOff) / outStride < rows;
                        if (!written) {
                            assertEquals(expected[i], actual[i], shape + ": index " + i + " is outside the output and must be untouched");
                            continue;
                        }
                        int r = (i - outOff) / outStride, j = (i - outOff) % outStride;
                        float absSum = 0;
                        for (int x = 0; x < k; x++) absSum += Math.abs(a[aOff + r * k + x] * b[bOff + j * k + x]);
                        assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-5f * (absSum + 1e-30f),
                                shape + " [" + r + "," + j + "]: expected " + expected[i] + ", got " + actual[i]);
                    }
                }
            }
        }
    }

    @Test
    void matmulTransposedRejectsBadArgumentsBeforeWriting() {
        float[] a = new float[12], b = new float[12], out = new float[9];
        for (Kernels kernels : new Kernels[] {S, V}) {
            assertMessage(() -> kernels.matmulTransposed(a, 0, -1, b, 0, 3, 4, out, 0, 3), "rows must be >= 0");
            assertMessage(() -> kernels.matmulTransposed(a, 0, 3, b, 0, -2, 4, out, 0, 3), "n must be >= 0");
            assertMessage(() -> kernels.matmulTransposed(a, 0, 3, b, 0, 3, -4, out, 0, 3), "k must be >= 0");
            assertMessage(() -> kernels.matmulTransposed(a, 0, 3, b, 0, 3, 4, out, 0, 2), "outStride must be >= n");
            assertMessage(() -> kernels.matmulTransposed(a, 1, 3, b, 0, 3, 4, out, 0, 3), "a must hold");
            assertMessage(() -> kernels.matmulTransposed(a, 0, 3, b, 0, 4, 3, out, 0, 4), "out must hold");
            assertMessage(() -> kernels.matmulTransposed(a, 0, 3, b, 4, 3, 4, out, 0, 3), "b must hold");
            assertArrayEquals(new float[9], out);
        }
    }

    private static void assertMessage(Runnable call, String start) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }

    @Test
    void decodeBf16IsExactOnAwkwardLengths() {
        for (int len : new int[] {0, 1, L - 1, L, L + 1, 2 * L + 3, 61}) {
            short[] src = new short[len + 3];
            for (int i = 0; i < src.length; i++) src[i] = Bf16.encode((float) rnd.nextDouble(-100, 100));
            float[] expected = new float[len + 2], actual = new float[len + 2];
            S.decodeBf16(src, 3, expected, 2, len);
            V.decodeBf16(src, 3, actual, 2, len);
            assertArrayEquals(expected, actual, "length " + len);
        }
    }

    @Test
    void dequantizeQ4IsBitIdenticalToScalarAndFollowsJlamasNibbleLayout() {
        for (int blocks : new int[] {0, 1, 3}) {
            byte[] packed = new byte[1 + blocks * Kernels.Q4_BLOCK / 2];
            for (int i = 0; i < packed.length; i++) packed[i] = (byte) rnd.nextInt(256);
            float[] scales = random(2 + blocks);
            float[] expected = new float[4 + blocks * Kernels.Q4_BLOCK], actual = expected.clone();
            S.dequantizeQ4(packed, 1, scales, 2, blocks, expected, 4);
            V.dequantizeQ4(packed, 1, scales, 2, blocks, actual, 4);
            assertArrayEquals(expected, actual, blocks + " blocks");
        }
        byte[] block = new byte[Kernels.Q4_BLOCK / 2];
        block[0] = (byte) 0xF2; // value 0: low nibble 2 -> -6; value 16: high nibble 15 -> 7
        float[] out = new float[Kernels.Q4_BLOCK];
        V.dequantizeQ4(block, 0, new float[] {0.5f}, 0, 1, out, 0);
        assertEquals(-3f, out[0]);
        assertEquals(3.5f, out[Kernels.Q4_BLOCK / 2]);
        assertEquals(-4f, out[1], "code 0 stands for -8");
        assertEquals(-4f, out[Kernels.Q4_BLOCK / 2 + 1], "code 0 stands for -8");
    }

    @Test
    void gemvQ4MatchesItsDefinitionAndTheScalarTwinOnAwkwardShapes() {
        int packedOff = 3, scaleOff = 5, xOff = 2, outOff = 1;
        for (int rows : new int[] {0, 1, 3, 4, 17}) {
            for (int k : new int[] {0, 32, 64, 96, 800}) {
                int blocks = k / Kernels.Q4_BLOCK;
                byte[] packed = new byte[packedOff + rows * k / 2];
                for (int i = 0; i < packed.length; i++) packed[i] = (byte) rnd.nextInt(256);
                float[] scales = random(scaleOff + rows * blocks), x = random(xOff + k);
                float[] expected = random(outOff + rows + 2), actual = expected.clone();
                S.gemvQ4(packed, packedOff, scales, scaleOff, rows, k, x, xOff, expected, outOff);
                V.gemvQ4(packed, packedOff, scales, scaleOff, rows, k, x, xOff, actual, outOff);
                float[] w = new float[k];
                for (int i = 0; i < expected.length; i++) {
                    String at = rows + "x" + k + " index " + i;
                    if (i < outOff || i >= outOff + rows) {
                        assertEquals(expected[i], actual[i], at + " is outside the output and must be untouched");
                        continue;
                    }
                    int r = i - outOff;
                    S.dequantizeQ4(packed, packedOff + r * k / 2, scales, scaleOff + r * blocks, blocks, w, 0);
                    double exact = 0, absSum = 1e-30;
                    for (int j = 0; j < k; j++) {
                        exact += (double) w[j] * x[xOff + j];
                        absSum += Math.abs((double) w[j] * x[xOff + j]);
                    }
                    assertEquals(exact, expected[i], 1e-5 * absSum, at + ": scalar twin against the dequantized dot product");
                    assertEquals(exact, actual[i], 1e-5 * absSum, at + ": SIMD kernel against the dequantized dot product");
                }
            }
        }
    }

    @Test
    void gemvQ4RejectsBadArgumentsBeforeWriting() {
        byte[] packed = new byte[3 * 16];
        float[] scales = new float[3], x = new float[32], out = new float[3];
        for (Kernels kernels : new Kernels[] {S, V}) {
            assertMessage(() -> kernels.gemvQ4(packed, 0, scales, 0, -1, 32, x, 0, out, 0), "rows must be >= 0");
            assertMessage(() -> kernels.gemvQ4(packed, 0, scales, 0, 3, 31, x, 0, out, 0), "k must be a non-negative multiple of 32");
            assertMessage(() -> kernels.gemvQ4(packed, -1, scales, 0, 3, 32, x, 0, out, 0), "offsets must be >= 0");
            assertMessage(() -> kernels.gemvQ4(packed, 1, scales, 0, 3, 32, x, 0, out, 0), "packed must hold");
            assertMessage(() -> kernels.gemvQ4(packed, 0, scales, 1, 3, 32, x, 0, out, 0), "scales must hold");
            assertMessage(() -> kernels.gemvQ4(packed, 0, scales, 0, 3, 32, x, 1, out, 0), "x must hold");
            assertMessage(() -> kernels.gemvQ4(packed, 0, scales, 0, 3, 32, x, 0, out, 1), "out must hold");
            assertArrayEquals(new float[3], out);
        }
    }
}
