package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.simd.Kernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The key sketch bounds q·k of every cold key from above, as decode-time recall scores it (Q8 codes times their
 * scale), whatever the keys' rank, after rows join later, after refits and removals; and on low-rank keys the bound
 * is tight.
 */
class KeySketchTest {
    private static final int CHUNK = 5;
    private final Kernels kernels = Kernels.preferred();
    private final SplittableRandom rnd = new SplittableRandom(11);

    /**
     * Q8 rows at the given ascending positions: keys {@code offset + sum of rank random directions + noise} per KV
     * head (rank 0: noise only, full rank), values random.
     */
    private ColdRows rows(int head, int kvHeads, int rank, double noise, float[][] directions, int... positions) {
        return rows(head, kvHeads, rank, noise, 4, directions, positions);
    }

    /** As above, with the coordinates' spread (standard deviation along the first direction). */
    private ColdRows rows(int head, int kvHeads, int rank, double noise, double spread, float[][] directions, int... positions) {
        int stride = head * kvHeads;
        byte[] codes = new byte[positions.length * 2 * stride];
        float[] scales = new float[positions.length * 2 * kvHeads], row = new float[2 * stride];
        for (int r = 0; r < positions.length; r++) {
            for (int g = 0; g < kvHeads; g++) {
                for (int i = 0; i < head; i++) row[g * head + i] = (float) (3 * (g + 1) + noise * rnd.nextGaussian());
                for (int j = 0; j < rank; j++) {
                    double c = spread * rnd.nextGaussian() / (j + 1);
                    for (int i = 0; i < head; i++) row[g * head + i] += (float) (c * directions[g * rank + j][i]);
                }
            }
            for (int i = stride; i < 2 * stride; i++) row[i] = (float) rnd.nextGaussian();
            kernels.quantizeQ8(row, 0, 2 * kvHeads, head, codes, r * 2 * stride, scales, r * 2 * kvHeads);
        }
        return new ColdRows(positions, codes, scales);
    }

    private float[][] directions(int head, int kvHeads, int rank) {
        float[][] d = new float[kvHeads * rank][head];
        for (float[] u : d) for (int i = 0; i < head; i++) u[i] = (float) rnd.nextGaussian();
        return d;
    }

    /** q·k as recall's verification computes it: the Q8 codes' dot product times the row's key scale. */
    private float logit(float[] q, int qOff, ColdRows rows, int r, int g, int head, int kvHeads) {
        return rows.scales()[r * 2 * kvHeads + g] * kernels.dotQ8(q, qOff, rows.codes(), r * 2 * head * kvHeads + g * head, head);
    }

    @ParameterizedTest
    @CsvSource({
        "1, 1, 0, 1.0", // head size 1
        "7, 3, 0, 1.0", // full rank, awkward sizes
        "64, 1, 0, 1.0", // full rank: the sketch stops at its most directions, the bound stays a bound
        "64, 2, 5, 0.0", // exactly rank 5 (up to the Q8 rounding of the keys)
        "64, 2, 5, 0.05", // rank 5 plus noise
        "33, 1, 40, 0.0", // more directions than the sketch keeps, and a span too wide for a tail
        "64, 2, 40, 0.0", // 32 coded directions and a tail of 8
        "64, 2, 40, 0.05" // the same, with a little outside the span
    })
    void boundsEveryColdKeyAfterAddsRefitsAndRemovals(int head, int kvHeads, int rank, double noise) {
        KeySketch sketch = new KeySketch(kernels, 2, CHUNK, head * kvHeads, head, head / 2);
        float[][] directions = directions(head, kvHeads, rank);
        List<ColdRows> stored = new ArrayList<>();
        // layer 1: a first demotion, then rows joining old and new chunks (the second doubles the rows: a refit)
        for (int[] positions : new int[][] {{0, 1, 3, 7, 12}, {2, 8, 9, 14, 20, 21, 22, 23, 30, 31, 33}, {40}}) {
            stored.add(rows(head, kvHeads, rank, noise, directions, positions));
            sketch.add(1, stored.get(stored.size() - 1), () -> ColdRows.sortedConcat(stored));
        }
        assertEquals(0, sketch.chunks(0), "layer 0 has no cold rows");
        assertEquals(9, sketch.chunks(1));
        assertEquals(4, sketch.coldRows(1, 0));
        sketch.remove(1, 1);
        assertEquals(0, sketch.coldRows(1, 1));
        checkBounds(sketch, stored, head, kvHeads, 1);
        sketch.clear();
        assertEquals(0, sketch.chunks(1));
    }

    private void checkBounds(KeySketch sketch, List<ColdRows> stored, int head, int kvHeads, int removedChunk) {
        int chunks = sketch.chunks(1), queries = 3;
        float[] q = new float[1 + queries * head], out = new float[queries * chunks];
        for (int trial = 0; trial < 20; trial++) {
            for (int i = 0; i < q.length; i++) q[i] = (float) (rnd.nextGaussian() * (trial % 3 == 0 ? 10 : 1));
            for (int g = 0; g < kvHeads; g++) {
                bounds(sketch, 1, g, q, 1, queries, out);
                float[] best = new float[queries * chunks];
                Arrays.fill(best, Float.NEGATIVE_INFINITY);
                for (ColdRows rows : stored) {
                    for (int r = 0; r < rows.rows(); r++) {
                        int c = rows.positions()[r] / CHUNK;
                        if (c == removedChunk) continue;
                        for (int i = 0; i < queries; i++) {
                            float logit = logit(q, 1 + i * head, rows, r, g, head, kvHeads);
                            best[i * chunks + c] = Math.max(best[i * chunks + c], logit);
                            assertTrue(logit <= out[i * chunks + c], "trial " + trial + ", head " + g + ", query " + i + ", position "
                                    + rows.positions()[r] + ": q·k " + logit + " above its bound " + out[i * chunks + c]);
                        }
                    }
                }
                for (int i = 0; i < queries; i++) {
                    assertEquals(Float.NEGATIVE_INFINITY, out[i * chunks + removedChunk], "a removed chunk has no cold rows");
                    assertEquals(Float.NEGATIVE_INFINITY, out[i * chunks + 5], "chunk 5 (positions 25-29) never had cold rows");
                }
            }
        }
    }

    /**
     * Rows joining after the fit with coordinates far beyond the fitted ones (too few to double the cold rows) do not
     * fit the code scales: the layer is fitted again, and the bound holds for old and new rows.
     */
    @ParameterizedTest
    @CsvSource({"16, 3", "33, 40", "64, 40"})
    void rowsBeyondTheCodeScalesRefitTheLayer(int head, int rank) {
        KeySketch sketch = new KeySketch(kernels, 1, CHUNK, head, head, head / 2);
        float[][] directions = directions(head, 1, rank);
        List<ColdRows> stored = new ArrayList<>(List.of(rows(head, 1, rank, 0.01, directions, IntStream.range(0, 60).toArray())));
        sketch.add(0, stored.get(0), () -> stored.get(0));
        stored.add(rows(head, 1, rank, 0.01, 40, directions, 61, 64, 70));
        sketch.add(0, stored.get(1), () -> ColdRows.sortedConcat(stored));
        int chunks = sketch.chunks(0);
        float[] q = new float[head], out = new float[chunks];
        for (int trial = 0; trial < 50; trial++) {
            for (int i = 0; i < head; i++) q[i] = (float) rnd.nextGaussian();
            bounds(sketch, 0, 0, q, 0, 1, out);
            for (ColdRows rows : stored) {
                for (int r = 0; r < rows.rows(); r++) {
                    float logit = logit(q, 0, rows, r, 0, head, 1), bound = out[rows.positions()[r] / CHUNK];
                    assertTrue(logit <= bound, "trial " + trial + ", position " + rows.positions()[r] + ": q·k " + logit + " above " + bound);
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"64, 5", "128, 16", "48, 1"})
    void findsTheRankOfLowRankKeysAndBoundsThemTightly(int head, int rank) {
        KeySketch sketch = new KeySketch(kernels, 1, CHUNK, head, head, head / 2);
        float[][] directions = directions(head, 1, rank);
        ColdRows rows = rows(head, 1, rank, 0, directions, IntStream.range(0, 400).toArray());
        sketch.add(0, rows, () -> rows);
        assertEquals(rank, sketch.rank(0, 0), "the directions of the keys, no more (the keys' Q8 rounding stays below the tolerance)");
        int chunks = sketch.chunks(0);
        float[] q = new float[head], out = new float[chunks];
        double worst = 0;
        for (int trial = 0; trial < 20; trial++) {
            for (int i = 0; i < head; i++) q[i] = (float) rnd.nextGaussian();
            bounds(sketch, 0, 0, q, 0, 1, out);
            for (int c = 0; c < chunks; c++) {
                float best = Float.NEGATIVE_INFINITY;
                for (int r = c * CHUNK; r < (c + 1) * CHUNK; r++) best = Math.max(best, logit(q, 0, rows, r, 0, head, 1));
                assertTrue(best <= out[c]);
                worst = Math.max(worst, (out[c] - best) / norm(q));
            }
        }
        double largestKey = 0;
        float[] key = new float[head];
        for (int r = 0; r < rows.rows(); r++) {
            kernels.dequantizeQ8(rows.codes(), r * 2 * head, rows.scales(), r * 2, 1, head, key, 0);
            largestKey = Math.max(largestKey, norm(key));
        }
        // slack per unit |q|: the rounding of the keys' and the coordinates' Q8 codes, a few percent of |k|
        assertTrue(worst < 0.05 * largestKey, "bound slack per unit |q| " + worst + ", largest |k| " + largestKey);
    }

    /**
     * Keys of a higher rank than the coded directions: the rest of their span is the sketch's tail, so a query with
     * nothing in the span is bounded by q·mean and roundings, not by |q| times the keys' remainder beyond the coded
     * directions (several times the slack allowed here).
     */
    @ParameterizedTest
    @CsvSource({"64, 24, 8", "128, 48, 21"})
    void aTailRulesOutQueriesOutsideTheKeysSpan(int head, int rank, int coded) {
        KeySketch sketch = new KeySketch(kernels, 1, CHUNK, head, head, coded);
        float[][] directions = directions(head, 1, rank);
        ColdRows rows = rows(head, 1, rank, 0, directions, IntStream.range(0, 400).toArray());
        sketch.add(0, rows, () -> rows);
        assertEquals(coded, sketch.rank(0, 0), "the coded directions, no more");
        double[][] span = orthonormal(directions);
        int chunks = sketch.chunks(0);
        float[] q = new float[head], out = new float[chunks];
        double worst = 0, largestKey = 0;
        float[] key = new float[head];
        for (int r = 0; r < rows.rows(); r++) {
            kernels.dequantizeQ8(rows.codes(), r * 2 * head, rows.scales(), r * 2, 1, head, key, 0);
            largestKey = Math.max(largestKey, norm(key));
        }
        for (int trial = 0; trial < 20; trial++) {
            double[] outside = new double[head];
            for (int i = 0; i < head; i++) outside[i] = rnd.nextGaussian();
            for (double[] u : span) {
                double a = 0;
                for (int i = 0; i < head; i++) a += outside[i] * u[i];
                for (int i = 0; i < head; i++) outside[i] -= a * u[i];
            }
            for (int i = 0; i < head; i++) q[i] = (float) outside[i];
            bounds(sketch, 0, 0, q, 0, 1, out);
            for (int c = 0; c < chunks; c++) {
                float best = Float.NEGATIVE_INFINITY;
                for (int r = c * CHUNK; r < (c + 1) * CHUNK; r++) best = Math.max(best, logit(q, 0, rows, r, 0, head, 1));
                assertTrue(best <= out[c], "trial " + trial + ", chunk " + c + ": q·k " + best + " above its bound " + out[c]);
                worst = Math.max(worst, (out[c] - best) / norm(q));
            }
        }
        assertTrue(worst < 0.05 * largestKey, "bound slack per unit |q| " + worst + ", largest |k| " + largestKey);
    }

    /** An orthonormal basis of the vectors' span (Gram-Schmidt, twice against rounding). */
    private static double[][] orthonormal(float[][] vectors) {
        double[][] basis = new double[vectors.length][];
        for (int j = 0; j < vectors.length; j++) {
            double[] u = new double[vectors[j].length];
            for (int i = 0; i < u.length; i++) u[i] = vectors[j][i];
            for (int pass = 0; pass < 2; pass++) {
                for (int k = 0; k < j; k++) {
                    double a = 0;
                    for (int i = 0; i < u.length; i++) a += u[i] * basis[k][i];
                    for (int i = 0; i < u.length; i++) u[i] -= a * basis[k][i];
                }
            }
            double n = 0;
            for (double v : u) n += v * v;
            for (int i = 0; i < u.length; i++) u[i] /= Math.sqrt(n);
            basis[j] = u;
        }
        return basis;
    }

    /** All chunks' bounds, as decode-time recall takes them; each query's largest is the scan's. */
    private static void bounds(KeySketch sketch, int layer, int g, float[] q, int qOff, int queries, float[] out) {
        KeySketch.Projection projection = new KeySketch.Projection();
        sketch.project(layer, g, q, qOff, queries, projection);
        KeySketch.Scan scan = new KeySketch.Scan();
        sketch.scan(layer, g, projection, scan);
        float[] estimates = new float[out.length];
        sketch.chunkBounds(scan, out, estimates, 0);
        int chunks = sketch.chunks(layer);
        for (int i = 0; i < queries; i++) {
            float largest = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < chunks; c++) largest = Math.max(largest, out[i * chunks + c]);
            assertEquals(largest, scan.maxBound(i), "a scan's largest bound is its chunks' largest");
        }
        for (int i = 0; i < out.length; i++) assertTrue(estimates[i] <= out[i], "an estimate is below its bound");
    }

    private static double norm(float[] x) {
        double s = 0;
        for (float v : x) s += v * v;
        return Math.sqrt(s);
    }
}
