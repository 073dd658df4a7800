package io.github.chunkkv.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.testing.RandomArrays;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** Every SIMD kernel against its scalar twin on awkward sizes: sums within 1e-5 relative, indices exact. */
class VectorKernelsTest {
    private static final Kernels S = ScalarKernels.INSTANCE;
    private static final Kernels V = VectorKernels.INSTANCE;
    private static final int L = FloatVector.SPECIES_PREFERRED.length();
    private static final int[] SIZES = {0, 1, 2, 7, 13, L - 1, L, L + 1, 2 * L + 1, 61, 127, 257};
    private static final int[] HEAD_SIZES = {8, 16, 48, 64};
    private static final int[] GROUPS = {1, 2, 4};

    private final SplittableRandom rnd = new SplittableRandom(7);

    private float[] random(int len) {
        return RandomArrays.uniform(rnd, len);
    }

    /** |expected - actual| <= 1e-5 * (|expected| + floor), elementwise. */
    private static void assertClose(float[] expected, float[] actual, float floor) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            float tol = 1e-5f * (Math.abs(expected[i]) + floor);
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, "index " + i + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    @Test
    void dotMatchesScalar() {
        for (int len : SIZES) {
            float[] a = random(len + 3), b = random(len + 5);
            float absSum = 0f;
            for (int i = 0; i < len; i++) absSum += Math.abs(a[3 + i] * b[5 + i]);
            assertClose(new float[] {S.dot(a, 3, b, 5, len)}, new float[] {V.dot(a, 3, b, 5, len)}, absSum + 1e-30f);
        }
    }

    @Test
    void axpyMatchesScalar() {
        for (int len : SIZES) {
            float[] x = random(len + 2), y = random(len + 4), y2 = y.clone();
            S.axpy(0.37f, x, 2, y, 4, len);
            V.axpy(0.37f, x, 2, y2, 4, len);
            assertClose(y, y2, 1f);
        }
    }

    @Test
    void softmaxMatchesScalarSumsToOneAndReturnsTheLogNormaliser() {
        for (int len : SIZES) {
            float[] x = random(len + 1);
            for (int i = 0; i < x.length; i++) x[i] *= 20f; // spread so exp spans many magnitudes
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int i = 1; i <= len; i++) max = Math.max(max, x[i]);
            for (int i = 1; i <= len; i++) z += Math.exp(x[i] - max);
            double logNormaliser = len == 0 ? Double.NEGATIVE_INFINITY : max + Math.log(z);
            float[] y = x.clone();
            assertEquals(logNormaliser, S.softmax(x, 1, len), 1e-4 * Math.max(1, Math.abs(logNormaliser)), "scalar, length " + len);
            assertEquals(logNormaliser, V.softmax(y, 1, len), 1e-4 * Math.max(1, Math.abs(logNormaliser)), "vector, length " + len);
            assertClose(x, y, 0f);
            if (len > 0) {
                double sum = 0;
                for (int i = 1; i <= len; i++) sum += y[i];
                assertEquals(1.0, sum, 1e-5);
            }
        }
    }

    @Test
    void attendMatchesScalar() {
        for (int headSize : HEAD_SIZES) {
            for (int group : GROUPS) {
                int kvHeads = 2, rowStride = kvHeads * headSize;
                for (int length : SIZES) {
                    float[] keys = random(Math.max(1, length) * rowStride), values = random(Math.max(1, length) * rowStride);
                    float[] query = random(group * kvHeads * headSize);
                    int h = group * kvHeads - 1, kvOff = (h / group) * headSize;
                    float[] p1 = new float[length], p2 = new float[length];
                    float[] o1 = random(2 * headSize), o2 = o1.clone();
                    float scale = (float) (1 / Math.sqrt(headSize));
                    assertSameLogNormaliser(
                            S.attend(query, h * headSize, keys, values, rowStride, kvOff, length, headSize, scale, p1, o1, headSize),
                            V.attend(query, h * headSize, keys, values, rowStride, kvOff, length, headSize, scale, p2, o2, headSize));
                    assertClose(p1, p2, 0f);
                    assertClose(o1, o2, 1f);
                }
            }
        }
    }

    /** The attention kernels return the log of their softmax normaliser: the twins agree (both -inf over no rows). */
    private static void assertSameLogNormaliser(float scalar, float vector) {
        assertEquals(scalar, vector, 1e-5f * Math.max(1f, Math.abs(scalar)));
    }

    private short[] randomBf16(int len) {
        short[] x = new short[len];
        Bf16.encode(random(len), 0, x, 0, len);
        return x;
    }

    private byte[] randomCodes(int len) {
        byte[] x = new byte[len];
        for (int i = 0; i < len; i++) x[i] = (byte) rnd.nextInt(-127, 128);
        return x;
    }

    @Test
    void bf16AndQ8DotAndAxpyMatchScalar() {
        for (int len : SIZES) {
            float[] a = random(len + 3);
            short[] b = randomBf16(len + 5);
            byte[] codes = randomCodes(len + 5);
            assertClose(new float[] {S.dotBf16(a, 3, b, 5, len)}, new float[] {V.dotBf16(a, 3, b, 5, len)}, len);
            assertClose(new float[] {S.dotQ8(a, 3, codes, 5, len)}, new float[] {V.dotQ8(a, 3, codes, 5, len)}, 127f * len);
            float[] y1 = random(len + 2), y2 = y1.clone(), z1 = y1.clone(), z2 = y1.clone();
            S.axpyBf16(0.37f, b, 5, y1, 2, len);
            V.axpyBf16(0.37f, b, 5, y2, 2, len);
            assertClose(y1, y2, 1f);
            S.axpyQ8(0.0037f, codes, 5, z1, 2, len);
            V.axpyQ8(0.0037f, codes, 5, z2, 2, len);
            assertClose(z1, z2, 1f);
        }
    }

    @Test
    void bf16RoundsToNearestEvenAndDecodesExactly() {
        assertEquals(1f, Bf16.decode(Bf16.encode(1f)));
        assertEquals(1f, Bf16.decode(Bf16.encode(Float.intBitsToFloat(0x3F808000))), "a tie rounds to the even mantissa");
        assertEquals(Float.intBitsToFloat(0x3F820000), Bf16.decode(Bf16.encode(Float.intBitsToFloat(0x3F818000))), "a tie rounds up to even");
        assertEquals(Float.intBitsToFloat(0x3F810000), Bf16.decode(Bf16.encode(Float.intBitsToFloat(0x3F808001))), "above the tie rounds up");
        assertEquals(-2.5f, Bf16.decode(Bf16.encode(-2.5f)));
    }

    /** BF16 and Q8 attention equal the SIMD twin, and equal float attention over the decoded rows. */
    @Test
    void attendOverBf16AndQ8RowsMatchesScalarAndDecodedFloatRows() {
        for (int headSize : HEAD_SIZES) {
            int kvHeads = 2, rowStride = kvHeads * headSize, group = 2;
            for (int length : SIZES) {
                int rows = Math.max(1, length);
                float[] query = random(group * kvHeads * headSize), scales = new float[rows * kvHeads], vScales = new float[rows * kvHeads];
                int h = group * kvHeads - 1, g = h / group, kvOff = g * headSize;
                float scale = (float) (1 / Math.sqrt(headSize));
                short[] kb = randomBf16(rows * rowStride), vb = randomBf16(rows * rowStride);
                byte[] kq = new byte[rows * rowStride], vq = new byte[rows * rowStride];
                S.quantizeQ8(random(rows * rowStride), 0, rows * kvHeads, headSize, kq, 0, scales, 0);
                S.quantizeQ8(random(rows * rowStride), 0, rows * kvHeads, headSize, vq, 0, vScales, 0);
                float[] kf = new float[rows * rowStride], vf = new float[rows * rowStride];

                float[] p1 = new float[length], p2 = new float[length], p3 = new float[length];
                float[] o1 = new float[headSize], o2 = new float[headSize], o3 = new float[headSize];
                assertSameLogNormaliser(S.attendBf16(query, h * headSize, kb, vb, rowStride, kvOff, length, headSize, scale, p1, o1, 0),
                        V.attendBf16(query, h * headSize, kb, vb, rowStride, kvOff, length, headSize, scale, p2, o2, 0));
                Bf16.decode(kb, 0, kf, 0, kf.length);
                Bf16.decode(vb, 0, vf, 0, vf.length);
                S.attend(query, h * headSize, kf, vf, rowStride, kvOff, length, headSize, scale, p3, o3, 0);
                assertClose(p1, p2, 1f);
                assertClose(o1, o2, 1f);
                assertClose(o3, o1, 1f);

                assertSameLogNormaliser(
                        S.attendQ8(query, h * headSize, kq, scales, vq, vScales, rowStride, kvOff, kvHeads, g, length, headSize, scale, p1, o1, 0),
                        V.attendQ8(query, h * headSize, kq, scales, vq, vScales, rowStride, kvOff, kvHeads, g, length, headSize, scale, p2, o2, 0));
                S.dequantizeQ8(kq, 0, scales, 0, rows * kvHeads, headSize, kf, 0);
                S.dequantizeQ8(vq, 0, vScales, 0, rows * kvHeads, headSize, vf, 0);
                S.attend(query, h * headSize, kf, vf, rowStride, kvOff, length, headSize, scale, p3, o3, 0);
                assertClose(p1, p2, 1f);
                assertClose(o1, o2, 1f);
                assertClose(o3, o1, 1f);
            }
        }
    }

    @Test
    void windowColumnSumsMatchesScalar() {
        for (int headSize : HEAD_SIZES) {
            for (int group : GROUPS) {
                int kvHeads = 2, heads = group * kvHeads, rowStride = kvHeads * headSize + 3; // padded rows
                for (int n : new int[] {1, 7, 13, L + 1, 61, 127, 257}) {
                    for (int rows : new int[] {1, 3, 7}) {
                        // Queries either end at slot n-1 (the window) or sit past the cache (see every key).
                        for (int firstSlot : new int[] {Math.max(0, n - rows), n + 2}) {
                            float[] queries = random(rows * heads * headSize), keys = random(n * rowStride);
                            for (int i = 0; i < keys.length; i++) keys[i] *= 4f;
                            float[] o1 = new float[heads * n];
                            for (int i = 0; i < o1.length; i++) o1[i] = i % 3 == 0 ? 0f : (float) rnd.nextDouble(); // kernels add into out
                            float[] o2 = o1.clone();
                            float scale = (float) (1 / Math.sqrt(headSize));
                            S.windowColumnSums(queries, rows, firstSlot, keys, rowStride, n, heads, kvHeads, headSize, scale, o1);
                            V.windowColumnSums(queries, rows, firstSlot, keys, rowStride, n, heads, kvHeads, headSize, scale, o2);
                            assertClose(o1, o2, 0f);
                        }
                    }
                }
            }
        }
    }

    @Test
    void windowColumnSumsMasksTheFuture() {
        int headSize = 16, n = 40, first = 10, rows = 2;
        float[] out = new float[n];
        V.windowColumnSums(random(rows * headSize), rows, first, random(n * headSize), headSize, n, 1, 1, headSize, 0.25f, out);
        for (int j = first + rows; j < n; j++) assertEquals(0f, out[j], "slot " + j + " is after every observed row");
        float total = 0f;
        for (float v : out) total += v;
        assertEquals(rows, total, 1e-5f, "each row's softmax sums to 1");
    }

    @Test
    void avgPoolIsBitIdenticalToScalar() {
        for (int kernel : new int[] {1, 3, 5, 7, 9, 31}) {
            for (int len : SIZES) {
                float[] in = random(len + 2), o1 = new float[len + 1], o2 = new float[len + 1];
                S.avgPool(in, 2, len, kernel, o1, 1);
                V.avgPool(in, 2, len, kernel, o2, 1);
                assertArrayEquals(o1, o2, "kernel " + kernel + " len " + len);
            }
        }
    }

    @Test
    void chunkMeansMatchesScalar() {
        for (int chunk : new int[] {1, 3, 10, L, L + 1, 300}) {
            for (int len : SIZES) {
                float[] in = random(len), o1 = new float[len + 1], o2 = new float[len + 1];
                assertEquals(S.chunkMeans(in, len, chunk, o1), V.chunkMeans(in, len, chunk, o2));
                assertClose(o1, o2, 1f);
            }
        }
    }

    @Test
    void topKEqualsScalarOnRandomValuesForEveryK() {
        for (int len : SIZES) {
            float[] values = random(len);
            for (int k = 0; k <= len; k++) assertArrayEquals(S.topK(values, len, k), V.topK(values, len, k), "len " + len + " k " + k);
        }
    }

    @Test
    void topKBreaksTiesTowardLowerIndex() {
        for (int len : new int[] {13, L + 1, 127, 257}) {
            float[] values = new float[len + 4]; // trailing values beyond len must be ignored
            for (int i = 0; i < values.length; i++) values[i] = rnd.nextInt(3);
            for (int k : new int[] {0, 1, len / 3, len / 2, len - 1, len}) {
                assertArrayEquals(S.topK(values, len, k), V.topK(values, len, k), "len " + len + " k " + k);
            }
        }
        float[] equal = new float[61];
        Arrays.fill(equal, 0.5f);
        assertArrayEquals(IntStream.range(0, 10).toArray(), V.topK(equal, 61, 10));
    }

    @Test
    void topKOrdersSpecialValuesLikeScalar() {
        float[] specials = {Float.NaN, -0f, 0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE,
            Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f};
        for (int len : new int[] {specials.length, 4 * L + 3}) {
            float[] values = new float[len];
            for (int i = 0; i < len; i++) values[i] = specials[rnd.nextInt(specials.length)];
            for (int k = 0; k <= len; k++) assertArrayEquals(S.topK(values, len, k), V.topK(values, len, k), "k " + k);
        }
    }

    @Test
    void topKRejectsBadK() {
        assertThrows(IllegalArgumentException.class, () -> V.topK(new float[3], 3, 4));
        assertThrows(IllegalArgumentException.class, () -> V.topK(new float[3], 3, -1));
    }

    @Test
    void preferredIsSimdUnlessScalarIsAskedFor() {
        assertEquals(V, Kernels.preferred());
        System.setProperty("chunkkv.kernels", "scalar");
        try {
            assertEquals(S, Kernels.preferred());
        } finally {
            System.clearProperty("chunkkv.kernels");
        }
    }

    @Test
    void quantizeQ8IsBitIdenticalToScalarAndRoundTripsWithinHalfAStep() {
        for (int groupSize : new int[] {1, 7, L - 1, L, L + 1, 2 * L + 3, 64}) {
            for (int groups : new int[] {0, 1, 3}) {
                float[] src = random(2 + groups * groupSize);
                if (groups == 3) Arrays.fill(src, 2 + groupSize, 2 + 2 * groupSize, 0f); // an all-zero group
                byte[] c1 = new byte[1 + groups * groupSize], c2 = c1.clone();
                float[] s1 = new float[groups + 1], s2 = s1.clone();
                S.quantizeQ8(src, 2, groups, groupSize, c1, 1, s1, 1);
                V.quantizeQ8(src, 2, groups, groupSize, c2, 1, s2, 1);
                assertArrayEquals(c1, c2, "codes, group size " + groupSize);
                assertArrayEquals(s1, s2, "scales, group size " + groupSize);
                float[] d1 = new float[3 + groups * groupSize], d2 = d1.clone();
                S.dequantizeQ8(c1, 1, s1, 1, groups, groupSize, d1, 3);
                V.dequantizeQ8(c2, 1, s2, 1, groups, groupSize, d2, 3);
                assertArrayEquals(d1, d2, "dequantized, group size " + groupSize);
                for (int g = 0; g < groups; g++) {
                    for (int i = 0; i < groupSize; i++) {
                        float x = src[2 + g * groupSize + i], y = d1[3 + g * groupSize + i];
                        assertTrue(Math.abs(x - y) <= 0.5f * s1[1 + g] * 1.0001f, "round trip within half a step: " + x + " vs " + y);
                    }
                }
            }
        }
    }

    @Test
    void quantizeQ8MapsTheLargestMagnitudeToPlusOrMinus127() {
        float[] src = {0.25f, -2f, 1f, 0.5f, 0f};
        byte[] codes = new byte[5];
        float[] scales = new float[1];
        V.quantizeQ8(src, 0, 1, 5, codes, 0, scales, 0);
        assertArrayEquals(new byte[] {16, -127, 64, 32, 0}, codes);
        assertEquals(2f / 127f, scales[0]);
    }

    @Test
    void dotQ8PanelsEqualScalarAndAPlainSum() {
        int panel = Kernels.Q8_PANEL;
        for (int n : new int[] {0, 1, L - 1, L, L + 1, 2 * L - 1, 2 * L + 3, panel - 1, panel, panel + 1, 257}) {
            for (int len : new int[] {0, 1, 3, 17}) {
                for (int queries : new int[] {0, 1, 2, 3}) {
                    int qOff = 3, codeOff = 5;
                    float[] query = random(qOff + queries * len);
                    byte[] codes = randomCodes(codeOff + Math.ceilDiv(n, panel) * panel * len);
                    float[] expected = new float[2 + queries * n], actual = new float[2 + queries * n];
                    S.dotQ8Panels(query, qOff, queries, len, codes, codeOff, n, expected, 2);
                    V.dotQ8Panels(query, qOff, queries, len, codes, codeOff, n, actual, 2);
                    assertArrayEquals(expected, actual, "n " + n + ", len " + len + ", queries " + queries); // same order of fused adds
                    for (int i = 0; i < queries; i++) {
                        for (int p = 0; p < n; p++) {
                            double sum = 0;
                            for (int j = 0; j < len; j++) {
                                sum += (double) query[qOff + i * len + j] * codes[codeOff + p / panel * panel * len + j * panel + p % panel];
                            }
                            assertEquals(sum, actual[2 + i * n + p], 1e-4 * (1 + 127 * len), "query " + i + ", vector " + p);
                        }
                    }
                }
            }
        }
    }

    @Test
    void dotQ8RowsMatchScalarAndVectorDotQ8() {
        for (int len : SIZES) {
            for (int queries : new int[] {0, 1, 2, 3, 5}) {
                for (int rows : new int[] {0, 1, 3, 10}) {
                    int qOff = 3, codeOff = 5, codeStride = len + 4;
                    float[] query = random(qOff + queries * len);
                    byte[] codes = randomCodes(codeOff + rows * codeStride);
                    float[] expected = new float[2 + queries * rows], actual = new float[2 + queries * rows];
                    S.dotQ8Rows(query, qOff, queries, codes, codeOff, codeStride, rows, len, expected, 2);
                    V.dotQ8Rows(query, qOff, queries, codes, codeOff, codeStride, rows, len, actual, 2);
                    assertClose(expected, actual, 127f * len);
                    for (int i = 0; i < queries; i++) { // added up as dotQ8 adds up, up to the order of the lane sum, which the JIT may change
                        for (int r = 0; r < rows; r++) {
                            assertEquals(V.dotQ8(query, qOff + i * len, codes, codeOff + r * codeStride, len), actual[2 + i * rows + r],
                                    1e-6f * 127f * len);
                        }
                    }
                }
            }
        }
    }

    @Test
    void maxMultiplyAddEqualsScalarAndAPlainMaximum() {
        for (int len : SIZES) {
            float[] x = random(len + 3), y = random(len + 5);
            if (len > 2) x[len / 2] = Float.NEGATIVE_INFINITY; // a row that is not cold: its bound is -inf
            for (float a : new float[] {0.5f, 3f, Float.MIN_NORMAL}) {
                float expected = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < len; i++) expected = Math.max(expected, Math.fma(a, x[3 + i], y[5 + i]));
                assertEquals(expected, S.maxMultiplyAdd(a, x, 3, y, 5, len), "scalar, len " + len);
                assertEquals(expected, V.maxMultiplyAdd(a, x, 3, y, 5, len), "vector, len " + len); // one rounding per term: equal
            }
        }
    }

    @Test
    void recallKernelsRejectBadArgumentsBeforeWriting() {
        for (Kernels k : new Kernels[] {S, V}) {
            float[] q = new float[8], out = {42f, 42f};
            byte[] codes = new byte[16];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.dotQ8Rows(q, 0, 1, codes, 0, 8, 3, 8, out, 0));
            assertTrue(e.getMessage().contains("codes must hold"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.dotQ8Rows(q, 0, 1, codes, 0, 4, 2, 8, out, 0));
            assertTrue(e.getMessage().contains("codeStride must be >= len"), e.getMessage());
            byte[] panels = new byte[2 * Kernels.Q8_PANEL];
            e = assertThrows(IllegalArgumentException.class, () -> k.dotQ8Panels(q, 0, 1, 2, codes, 0, 1, out, 0));
            assertTrue(e.getMessage().contains("codes must hold"), e.getMessage()); // a whole panel, though one vector is named
            e = assertThrows(IllegalArgumentException.class, () -> k.dotQ8Panels(q, 0, 1, 2, panels, 0, 4, out, 1));
            assertTrue(e.getMessage().contains("out must hold"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.dotQ8Panels(q, 0, -1, 2, panels, 0, 4, out, 0));
            assertTrue(e.getMessage().contains("queries, len and n must be >= 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.maxMultiplyAdd(1f, q, 4, q, 0, 5));
            assertTrue(e.getMessage().contains("x must hold xOff + len = 9"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.maxMultiplyAdd(1f, q, 0, q, 0, -1));
            assertTrue(e.getMessage().contains("len and offsets must be >= 0"), e.getMessage());
            assertArrayEquals(new float[] {42f, 42f}, out);
        }
    }

    /** Row r of a batch starting at slot firstSlot sees slots [max(0, firstSlot + r + 1 - window), firstSlot + r]; 0: no window. */
    private static int[] windowStarts(int rows, int firstSlot, int window) {
        return IntStream.range(0, rows).map(r -> window == 0 ? 0 : Math.max(0, firstSlot + r + 1 - window)).toArray();
    }

    /**
     * The tiled kernel against its scalar twin and against the per-row kernel production used before it, over query
     * row counts around the tile sizes, groups 1/2/4, head sizes that do and do not fill two vectors, key counts past a
     * key tile, with and without a sliding window, and a row range not starting at 0 (rows outside it stay untouched).
     * Tolerance 1e-5 relative to |out| + 1: every output is a convex combination of values in [-1, 1], and the paths
     * differ only in float32 summation order (tiles, online rescaling) over at most a few hundred terms.
     */
    @Test
    void attendCausalMatchesScalarTwinAndPerRowKernel() {
        for (int headSize : HEAD_SIZES) {
            for (int group : GROUPS) {
                int kvHeads = 2, heads = group * kvHeads, rowStride = kvHeads * headSize + 3; // padded rows
                for (int rows : new int[] {1, 5, 37, 70}) {
                    for (int firstSlot : new int[] {0, 7, 67}) {
                        for (int window : new int[] {0, 9, 100}) {
                            int[] windowStart = windowStarts(rows, firstSlot, window);
                            float[] queries = random(rows * heads * headSize);
                            float[] keys = random((firstSlot + rows) * rowStride), values = random((firstSlot + rows) * rowStride);
                            for (int i = 0; i < keys.length; i++) keys[i] *= 4f; // sharp softmax: running maxima move
                            float scale = (float) (1 / Math.sqrt(headSize));
                            int rowFrom = rows / 3;
                            float[] tiled = random(rows * heads * headSize), twin = tiled.clone(), perRow = tiled.clone();
                            for (int g = 0; g < kvHeads; g++) {
                                V.attendCausal(queries, rowFrom, rows, firstSlot, windowStart, keys, values, rowStride, g, heads, kvHeads, headSize, scale, tiled);
                                S.attendCausal(queries, rowFrom, rows, firstSlot, windowStart, keys, values, rowStride, g, heads, kvHeads, headSize, scale, twin);
                            }
                            float[] probs = new float[firstSlot + rows];
                            for (int r = rowFrom; r < rows; r++) {
                                for (int h = 0; h < heads; h++) {
                                    int off = (r * heads + h) * headSize, from = windowStart[r];
                                    V.attend(queries, off, keys, values, rowStride, from * rowStride + (h / group) * headSize,
                                            firstSlot + r + 1 - from, headSize, scale, probs, perRow, off);
                                }
                            }
                            assertClose(twin, tiled, 1f);
                            assertClose(perRow, tiled, 1f);
                        }
                    }
                }
            }
        }
    }

    /** A long causal batch (many key tiles, the running max rescaled often) stays as close to the twin. */
    @Test
    void attendCausalMatchesScalarTwinAtALongContext() {
        int headSize = 64, heads = 8, kvHeads = 4, rows = 45, firstSlot = 1500, rowStride = kvHeads * headSize;
        int[] windowStart = windowStarts(rows, firstSlot, 0);
        float[] queries = random(rows * heads * headSize), keys = random((firstSlot + rows) * rowStride);
        float[] values = random((firstSlot + rows) * rowStride), tiled = new float[queries.length], twin = new float[queries.length];
        for (int g = 0; g < kvHeads; g++) {
            V.attendCausal(queries, 0, rows, firstSlot, windowStart, keys, values, rowStride, g, heads, kvHeads, headSize, 0.125f, tiled);
            S.attendCausal(queries, 0, rows, firstSlot, windowStart, keys, values, rowStride, g, heads, kvHeads, headSize, 0.125f, twin);
        }
        assertClose(twin, tiled, 1f);
    }

    @Test
    void attendCausalRejectsBadArgumentsBeforeWriting() {
        int headSize = 8, rows = 3, firstSlot = 2, rowStride = headSize;
        float[] queries = random(rows * headSize), keys = random((firstSlot + rows) * rowStride), values = keys.clone();
        for (Kernels k : new Kernels[] {S, V}) {
            float[] out = new float[rows * headSize];
            var e = assertThrows(IllegalArgumentException.class, () -> k.attendCausal(queries, 0, rows, firstSlot, new int[] {0, 4, 0},
                    keys, values, rowStride, 0, 1, 1, headSize, 1f, out));
            assertEquals("windowStart[1] must be in [0, 3], got 4", e.getMessage());
            assertArrayEquals(new float[out.length], out, "nothing written");
            e = assertThrows(IllegalArgumentException.class, () -> k.attendCausal(queries, 0, rows, firstSlot, new int[rows],
                    keys, values, rowStride, 1, 1, 1, headSize, 1f, out));
            assertEquals("kvHead must be in [0, 0], got 1", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.attendCausal(queries, 0, rows, firstSlot + 1, new int[rows],
                    keys, values, rowStride, 0, 1, 1, headSize, 1f, out));
            assertTrue(e.getMessage().startsWith("keys must hold 48 values"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.attendCausal(queries, 2, 1, firstSlot, new int[rows],
                    keys, values, rowStride, 0, 3, 2, headSize, 1f, out));
            assertEquals("rowFrom must be in [0, rowTo = 1], got 2", e.getMessage());
        }
    }

    /**
     * Split-K decode: one query row over slots [from, n) in blocks of blockSlots, each block by {@link Kernels#attendBlock},
     * merged; against the scalar twin and against one per-row {@link Kernels#attend} per head over the same slots, outputs
     * and log normalisers. Cache lengths 0, 1 and around the vector length, groups 1/2/4, with and without a window
     * (from > 0), blocks of 1 slot to longer than the cache, padded rows; one {@link AttentionPartials} per kernel is
     * reused by every case, so stale results of a larger earlier step must not leak into a smaller one.
     */
    @Test
    void attendBlocksMergedMatchScalarTwinAndPerRowKernel() {
        for (int headSize : HEAD_SIZES) {
            for (int group : GROUPS) {
                int kvHeads = 2, heads = group * kvHeads, rowStride = kvHeads * headSize + 3, qOff = 5, outOff = 2;
                AttentionPartials twinPartials = new AttentionPartials(heads, headSize), simdPartials = new AttentionPartials(heads, headSize);
                for (int n : SIZES) {
                    for (int from : new int[] {0, n / 3, n}) {
                        for (int blockSlots : new int[] {1, 7, L + 1, 64}) {
                            float[] keys = random(Math.max(1, n) * rowStride), values = random(Math.max(1, n) * rowStride);
                            for (int i = 0; i < keys.length; i++) keys[i] *= 4f; // sharp softmax: block maxima differ
                            float[] query = random(qOff + heads * headSize);
                            float scale = (float) (1 / Math.sqrt(headSize));
                            int length = n - from, blocks = Math.max(1, Math.ceilDiv(length, blockSlots));
                            float[] twin = random(outOff + heads * headSize), simd = twin.clone(), perRow = twin.clone();
                            float[] twinLogZ = new float[heads + 1], simdLogZ = new float[heads + 1], perRowLogZ = new float[heads + 1];
                            attendInBlocks(S, twinPartials, query, qOff, keys, values, rowStride, kvHeads, scale, from, n, blockSlots, blocks);
                            twinPartials.merge(twin, outOff, twinLogZ, 1);
                            attendInBlocks(V, simdPartials, query, qOff, keys, values, rowStride, kvHeads, scale, from, n, blockSlots, blocks);
                            simdPartials.merge(simd, outOff, simdLogZ, 1);
                            float[] probs = new float[length];
                            for (int h = 0; h < heads; h++) {
                                perRowLogZ[1 + h] = V.attend(query, qOff + h * headSize, keys, values, rowStride,
                                        from * rowStride + h / group * headSize, length, headSize, scale, probs, perRow, outOff + h * headSize);
                            }
                            assertClose(twin, simd, 1f);
                            assertClose(perRow, simd, 1f);
                            for (int h = 1; h <= heads; h++) {
                                assertSameLogNormaliser(twinLogZ[h], simdLogZ[h]);
                                assertSameLogNormaliser(perRowLogZ[h], simdLogZ[h]);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void attendInBlocks(Kernels kernels, AttentionPartials partials, float[] query, int qOff, float[] keys, float[] values,
            int rowStride, int kvHeads, float scale, int from, int to, int blockSlots, int blocks) {
        partials.reserve(blocks, blockSlots);
        for (int b = 0; b < blocks; b++) {
            int blockFrom = Math.min(to, from + b * blockSlots);
            kernels.attendBlock(query, qOff, keys, values, rowStride, kvHeads, scale, blockFrom, Math.min(to, blockFrom + blockSlots), partials, b);
        }
    }

    /** A long cache in decode-sized blocks (the running maxima of many blocks merged) stays as close to the per-row kernel. */
    @Test
    void attendBlocksMergedMatchPerRowKernelAtALongContext() {
        int headSize = 64, heads = 12, kvHeads = 4, n = 4099, from = 3, rowStride = kvHeads * headSize, blockSlots = 256;
        float[] query = random(heads * headSize), keys = random(n * rowStride), values = random(n * rowStride);
        int blocks = Math.ceilDiv(n - from, blockSlots);
        for (Kernels kernels : new Kernels[] {S, V}) {
            AttentionPartials partials = new AttentionPartials(heads, headSize);
            attendInBlocks(kernels, partials, query, 0, keys, values, rowStride, kvHeads, 0.125f, from, n, blockSlots, blocks);
            float[] merged = new float[heads * headSize], logZ = new float[heads];
            partials.merge(merged, 0, logZ, 0);
            float[] perRow = new float[heads * headSize], probs = new float[n];
            for (int h = 0; h < heads; h++) {
                float expected = S.attend(query, h * headSize, keys, values, rowStride, from * rowStride + h / 3 * headSize, n - from,
                        headSize, 0.125f, probs, perRow, h * headSize);
                assertSameLogNormaliser(expected, logZ[h]);
            }
            assertClose(perRow, merged, 1f);
        }
    }

    @Test
    void attendBlockRejectsBadArgumentsBeforeWriting() {
        int headSize = 8, heads = 4, kvHeads = 2, n = 10, rowStride = kvHeads * headSize;
        float[] query = random(heads * headSize), keys = random(n * rowStride), values = keys.clone();
        for (Kernels k : new Kernels[] {S, V}) {
            AttentionPartials partials = new AttentionPartials(heads, headSize);
            partials.reserve(2, 6);
            float[] before = partials.outputs.clone();
            var e = assertThrows(IllegalArgumentException.class, () -> k.attendBlock(query, 0, keys, values, rowStride, kvHeads, 1f, 0, 6, partials, 2));
            assertEquals("block must be in [0, 1] (reserved blocks), got 2", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.attendBlock(query, 0, keys, values, rowStride, kvHeads, 1f, 2, 9, partials, 0));
            assertEquals("to - from must be in [0, 6] (reserved block slots), got 7", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.attendBlock(query, 0, keys, values, rowStride, kvHeads, 1f, 5, 4, partials, 0));
            assertEquals("from must be in [0, to = 4], got 5", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.attendBlock(query, 0, keys, values, rowStride, 3, 1f, 0, 4, partials, 0));
            assertEquals("numKvHeads must divide numHeads = 4, got 3", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.attendBlock(query, 1, keys, values, rowStride, kvHeads, 1f, 0, 4, partials, 0));
            assertEquals("qOff must be in [0, 0] (a whole query row), got 1", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.attendBlock(query, 0, keys, values, rowStride, kvHeads, 1f, 6, 11, partials, 1));
            assertEquals("keys must hold 176 values (to rows), got 160", e.getMessage());
            assertArrayEquals(before, partials.outputs, "nothing written");
        }
        var e = assertThrows(IllegalArgumentException.class, () -> new AttentionPartials(4, 8).reserve(0, 6));
        assertEquals("blocks must be >= 1, got 0", e.getMessage());
    }
}
