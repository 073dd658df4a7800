package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A low-rank sketch of the cold tier's keys, per layer and KV head, from which decode-time recall bounds q·k of every
 * cold row without reading the rows. Each key is written as {@code k = mean + sum_j c_j u_j + e} with orthonormal
 * directions u_j fitted to the layer's keys, e orthogonal to all of them; the coordinates c_j are kept as Q8 codes c'_j
 * with one scale s_j per direction, and the norm of e per row. The scales cover every cold row's coordinates, so
 * {@code |c_j - c'_j| <= s_j / 2}, and e meets only the part of q outside the directions, {@code q_perp}. Then
 * {@code q·k <= q·mean + sum_j c'_j (q·u_j) + sum_j |q·u_j| s_j / 2 + |q_perp| |e|} for every query, exactly: the
 * sketch decides nothing by itself, it only rules rows out. The first three terms are per query; only the products
 * with the codes and the remainders are per row.
 *
 * <p>Why a sketch and not Quest's per-chunk minimum and maximum of each key value: keys are low-rank (Loki, ShadowKV),
 * and a bound per row over the right directions is tight where a box around a chunk's rows is not. Measured on
 * needle-lm's multi-turn decoding (2,048-token contexts, 5 questions, every decode step of every layer): the keys have
 * rank 16, 16, 40 and 80 in its four layers; Quest's box let 84 of ~190 cold chunks pass the promotion threshold per
 * layer and step, so 32 of them had to be read and scored, while this bound lets through 0-1, the chunks that truly
 * reach it. Paying the codes' rounding per query and the remainder only with {@code |q_perp|}, rather than
 * {@code |q| |e|} with the rounding inside e, cut the chunks layer 3 let through from 0.95 to 0.06 per step (bench
 * decoding, 64 directions); with the disk tier's 21 it cut those of layer 2 by a quarter. A query's bounds are a pass
 * over the codes, stored by direction so that the lanes of one SIMD multiply-add cover consecutive rows, in panels
 * read front to back ({@link Kernels#dotQ8Panels}); no scattered row is read.
 *
 * <p>The directions are found by pivoted Gram-Schmidt on a sample of the layer's cold keys: each step adds the
 * sample row with the largest remainder, until every remainder is below {@link #RESIDUAL_TOLERANCE} of the largest
 * centred row, or the sketch holds its tier's most directions (keys of a higher rank get a looser bound, and recall
 * then verifies more chunks). The bound pays each row's own remainder, so the largest remainder is the one to remove
 * next. The directions are fitted on the first rows a layer demotes and fitted again (all cold rows re-encoded)
 * whenever its cold rows have doubled since, or a row joins with a coordinate beyond what the scales cover. Arrays are
 * indexed by position and grow with the highest cold position.
 */
final class KeySketch {
    /** Sample rows the directions are fitted on: enough for the ranks of real heads, few enough to fit in a few ms. */
    static final int FIT_ROWS = 256;
    /**
     * Directions are added until every sampled remainder is below this fraction of the largest centred key: above the
     * cold rows' own Q8 rounding (about 0.3-0.7% of a key's norm), so noise adds no direction.
     */
    static final float RESIDUAL_TOLERANCE = 0.02f;
    /**
     * Margin of each query's bound, relative to |q| (|mean| + |k - mean|) for the largest such k: covers float rounding
     * in the bound and in the logits recall compares it with (sums of up to a head size of products, relative error
     * below 1e-4 of those norms).
     */
    private static final float ROUNDING_MARGIN = 2e-4f;
    /**
     * Slack of a remainder's square, relative to |x|^2: |x|^2 - |c|^2 is taken with coordinates c from a float
     * product, each within 128 · 2^-24 · |x| of exact, so |c|^2 is within 2 sqrt(rank) of that times |x| (below
     * 1.5e-4 |x|^2 up to head size 128), where the remainder itself may be far smaller. The same holds for a query's
     * |q_perp|^2 = |q|^2 - sum_j (q·u_j)^2.
     */
    private static final double FLOAT_PRODUCT_SLACK = 2e-4;

    /** One layer and KV head's directions: row j of {@code directions} is u_j; {@code scales[j]} the code scale of c_j. */
    private record Basis(int rank, float[] mean, float[] directions, float[] scales) {}

    private final Kernels kernels;
    private final int chunk, rowStride, headSize, kvHeads, maxRank;
    private final Basis[][] bases; // [layer][kvHead]; null until the layer's first demotion
    private final byte[][][] codes; // [layer][kvHead]: panels of Kernels.Q8_PANEL positions (see Kernels#dotQ8Panels)
    private final float[][][] remainders; // [layer][kvHead][position]: bound of |e|; -inf where the row is not cold
    private final int[][] coldRows; // [layer][chunk id]
    private final int[] capacity, chunks, coldCount, fittedRows;
    private final double[][] largestNorm; // [layer][kvHead]: the largest |mean| + |k - mean| encoded since the last fit

    /** @param maxRank most directions per KV head, in [0, headSize]: the sketch's bytes per position and KV head, less 4 */
    KeySketch(Kernels kernels, int layers, int chunk, int rowStride, int headSize, int maxRank) {
        this.kernels = kernels;
        this.chunk = chunk;
        this.rowStride = rowStride;
        this.headSize = headSize;
        this.kvHeads = rowStride / headSize;
        this.maxRank = maxRank;
        this.bases = new Basis[layers][kvHeads];
        this.codes = new byte[layers][kvHeads][0];
        this.remainders = new float[layers][kvHeads][0];
        this.coldRows = new int[layers][0];
        this.capacity = new int[layers];
        this.chunks = new int[layers];
        this.coldCount = new int[layers];
        this.fittedRows = new int[layers];
        this.largestNorm = new double[layers][kvHeads];
    }

    int chunkSize() {
        return chunk;
    }

    /** Chunk ids below this may have cold rows in the layer. */
    int chunks(int layer) {
        return chunks[layer];
    }

    /** Cold rows of a chunk. */
    int coldRows(int layer, int chunkId) {
        return coldRows[layer][chunkId];
    }

    /** Directions kept for a layer's KV head; 0 before the layer's first demotion. */
    int rank(int layer, int kvHead) {
        Basis b = bases[layer][kvHead];
        return b == null ? 0 : b.rank();
    }

    /** A batch of queries in a layer's sketch coordinates; see {@link #project}. Reused, never shrunk. */
    static final class Projection {
        private float[] coords = new float[0], means = new float[0], offsets = new float[0], norms = new float[0];
        private int rank, queries;
    }

    /**
     * One {@link #scan} of a layer's cold rows: each query's products with their codes, and its largest bound over
     * them. Reused, never shrunk.
     */
    static final class Scan {
        private float[] dots = new float[0], maxBounds = new float[0];
        private Projection projection;
        private int layer, kvHead, n; // the products cover positions [0, n)

        /** The largest bound of q·k over the layer's cold rows for query i; negative infinity where it has none. */
        float maxBound(int i) {
            return maxBounds[i];
        }
    }

    /**
     * Projects {@code queries} query heads reading KV head {@code kvHead} (query i at {@code qOff + i * headSize}) for
     * {@link #scan}: q·u_j times each code scale, |q_perp|, and the per-query terms of the bound (q·mean, the codes'
     * rounding, the margin).
     */
    void project(int layer, int kvHead, float[] q, int qOff, int queries, Projection into) {
        Basis b = bases[layer][kvHead];
        int rank = b == null ? 0 : b.rank();
        into.rank = rank;
        into.queries = queries;
        if (b == null) return;
        if (into.coords.length < queries * rank) into.coords = new float[queries * rank];
        if (into.offsets.length < queries) {
            into.means = new float[queries];
            into.offsets = new float[queries];
            into.norms = new float[queries];
        }
        if (rank > 0) kernels.matmulTransposed(q, qOff, queries, b.directions(), 0, rank, headSize, into.coords, 0, rank);
        for (int i = 0; i < queries; i++) {
            int at = qOff + i * headSize;
            double squared = kernels.dot(q, at, q, at, headSize), inSpan = 0, rounding = 0;
            for (int j = 0; j < rank; j++) {
                double c = into.coords[i * rank + j];
                inSpan += c * c;
                rounding += Math.abs(c) * b.scales()[j] / 2;
            }
            double margin = ROUNDING_MARGIN * Math.sqrt(squared) * largestNorm[layer][kvHead];
            into.means[i] = kernels.dot(q, at, b.mean(), 0, headSize);
            into.offsets[i] = Math.nextUp((float) (into.means[i] + rounding + margin));
            // never 0, so that 0 * -inf (a row that is not cold) cannot make a NaN
            double outside = Math.sqrt(Math.max(0, squared - inSpan) + FLOAT_PRODUCT_SLACK * squared);
            into.norms[i] = Math.max(Float.MIN_NORMAL, Math.nextUp((float) outside));
            for (int j = 0; j < rank; j++) into.coords[i * rank + j] *= b.scales()[j];
        }
    }

    /**
     * Scans the layer's cold rows for the queries {@link #project}ed into {@code projection} (same layer and KV head):
     * their products with the codes, and each query's largest bound of q·k, which is all decode-time recall needs
     * while no chunk can reach its threshold.
     */
    void scan(int layer, int kvHead, Projection projection, Scan into) {
        int queries = projection.queries;
        if (into.maxBounds.length < queries) into.maxBounds = new float[queries];
        Arrays.fill(into.maxBounds, 0, queries, Float.NEGATIVE_INFINITY);
        into.projection = projection;
        into.layer = layer;
        into.kvHead = kvHead;
        into.n = bases[layer][kvHead] == null ? 0 : Math.min(chunks[layer] * chunk, capacity[layer]);
        if (into.n == 0) return;
        if (into.dots.length < queries * into.n) into.dots = new float[queries * into.n];
        kernels.dotQ8Panels(projection.coords, 0, queries, projection.rank, codes[layer][kvHead], 0, into.n, into.dots, 0);
        for (int i = 0; i < queries; i++) { // remainders are -inf where a row is not cold
            into.maxBounds[i] = kernels.maxMultiplyAdd(projection.norms[i], remainders[layer][kvHead], 0, into.dots, i * into.n, into.n)
                    + projection.offsets[i];
        }
    }

    /**
     * Per chunk, from a {@link #scan}'s products: {@code bounds[outOff + i * chunks + c]} for query i and chunk id c
     * (chunks: {@link #chunks}), the largest bound of q·k over the chunk's cold rows, negative infinity for a chunk
     * without any; and at the same index of {@code estimates}, the largest q·k of the sketched keys without the
     * per-row remainders (Loki's low-rank score), which ranks chunks better than the bound where the sketch leaves
     * much out.
     */
    void chunkBounds(Scan scan, float[] bounds, float[] estimates, int outOff) {
        int chunkCount = chunks[scan.layer], to = scan.n;
        float[] remainder = remainders[scan.layer][scan.kvHead];
        Projection projection = scan.projection;
        for (int i = 0; i < projection.queries; i++) {
            float norm = projection.norms[i];
            for (int c = 0; c < chunkCount; c++) {
                float bound = Float.NEGATIVE_INFINITY, estimate = Float.NEGATIVE_INFINITY;
                for (int p = Math.min(c * chunk, to), end = Math.min((c + 1) * chunk, to); p < end; p++) {
                    float rest = remainder[p];
                    if (rest == Float.NEGATIVE_INFINITY) continue;
                    float dot = scan.dots[i * scan.n + p];
                    estimate = Math.max(estimate, dot);
                    bound = Math.max(bound, Math.fma(norm, rest, dot));
                }
                bounds[outOff + i * chunkCount + c] = bound + projection.offsets[i];
                estimates[outOff + i * chunkCount + c] = estimate + projection.means[i];
            }
        }
    }

    /**
     * Adds rows entering the tier (ascending positions). {@code allCold} returns every cold row of the layer, these
     * included: the directions are fitted on it when the layer has none yet, its cold rows have doubled since, or one
     * of these rows has a coordinate beyond what the code scales cover.
     */
    void add(int layer, ColdRows rows, Supplier<ColdRows> allCold) {
        int n = rows.rows();
        if (n == 0) return;
        ensureCapacity(layer, rows.positions()[n - 1] + 1);
        if (bases[layer][0] == null || coldCount[layer] + n > 2 * fittedRows[layer] || !encode(layer, rows, false)) {
            ColdRows all = allCold.get();
            clear(layer);
            fittedRows[layer] = all.rows();
            encode(layer, all, true);
        }
    }

    /** Forgets a chunk whose cold rows all left the tier. */
    void remove(int layer, int chunkId) {
        for (float[] remainder : remainders[layer]) {
            Arrays.fill(remainder, Math.min(chunkId * chunk, capacity[layer]), Math.min((chunkId + 1) * chunk, capacity[layer]), Float.NEGATIVE_INFINITY);
        }
        coldCount[layer] -= coldRows[layer][chunkId];
        coldRows[layer][chunkId] = 0;
    }

    /** Forgets every cold row; the directions stay for the rows demoted next. */
    void clear() {
        for (int l = 0; l < coldRows.length; l++) clear(l);
    }

    /** Heap bytes of the sketch. */
    long bytes() {
        long bytes = 0;
        for (int l = 0; l < coldRows.length; l++) {
            bytes += 4L * coldRows[l].length;
            for (int g = 0; g < kvHeads; g++) {
                bytes += codes[l][g].length + 4L * remainders[l][g].length;
                Basis b = bases[l][g];
                if (b != null) bytes += 4L * (b.mean().length + b.directions().length + b.scales().length);
            }
        }
        return bytes;
    }

    private void clear(int layer) {
        for (float[] remainder : remainders[layer]) Arrays.fill(remainder, Float.NEGATIVE_INFINITY);
        Arrays.fill(coldRows[layer], 0);
        chunks[layer] = 0;
        coldCount[layer] = 0;
    }

    /**
     * Writes the codes and remainders of {@code rows} and marks them cold; with {@code fit}, first fits the layer's
     * directions to these rows and sets the code scales from their coordinates.
     *
     * @return whether the scales cover every coordinate of the rows (always, with {@code fit}); where they do not, the
     *     layer must be fitted again before its bounds are read
     */
    private boolean encode(int layer, ColdRows rows, boolean fit) {
        boolean covered = true;
        int n = rows.rows(), panel = Kernels.Q8_PANEL;
        float[] keys = new float[n * headSize], coords = new float[0];
        for (int g = 0; g < kvHeads; g++) {
            keysOf(rows, g, keys);
            if (fit) {
                bases[layer][g] = fit(keys, n);
                codes[layer][g] = new byte[bases[layer][g].rank() * capacity[layer]]; // capacity: whole panels
                largestNorm[layer][g] = 0;
            }
            Basis b = bases[layer][g];
            int rank = b.rank();
            float[] centred = keys.clone();
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < headSize; i++) centred[r * headSize + i] -= b.mean()[i];
            }
            if (coords.length < n * rank) coords = new float[n * rank];
            if (rank > 0) kernels.matmulTransposed(centred, 0, n, b.directions(), 0, rank, headSize, coords, 0, rank); // all rows in one product
            if (fit) setScales(b, coords, n);
            byte[] code = codes[layer][g];
            double meanNorm = Math.sqrt(sumOfSquares(b.mean(), 0, headSize));
            for (int r = 0; r < n; r++) {
                int p = rows.positions()[r];
                // |e|^2 = |x|^2 - |c|^2 for orthonormal u_j and coordinates c of the centred key x
                double x = sumOfSquares(centred, r * headSize, headSize), inSpan = 0;
                for (int j = 0; j < rank; j++) {
                    float s = b.scales()[j], c = coords[r * rank + j];
                    int q = s == 0f ? 0 : Math.max(-127, Math.min(127, Math.round(c / s)));
                    code[p / panel * panel * rank + j * panel + p % panel] = (byte) q;
                    inSpan += (double) c * c;
                    covered &= Math.abs(c) <= 127.5f * s; // within half a step of its code
                }
                remainders[layer][g][p] = Math.nextUp((float) Math.sqrt(Math.max(0, x - inSpan) + FLOAT_PRODUCT_SLACK * x));
                largestNorm[layer][g] = Math.max(largestNorm[layer][g], meanNorm + Math.sqrt(x));
            }
        }
        for (int p : rows.positions()) coldRows[layer][p / chunk]++;
        coldCount[layer] += n;
        chunks[layer] = Math.max(chunks[layer], rows.positions()[n - 1] / chunk + 1);
        return covered;
    }

    /** Code scales that cover the coordinates of {@code n} rows: the largest |c_j| over them maps to 127. */
    private static void setScales(Basis b, float[] coords, int n) {
        float[] scales = b.scales();
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < b.rank(); j++) scales[j] = Math.max(scales[j], Math.abs(coords[r * b.rank() + j]));
        }
        for (int j = 0; j < b.rank(); j++) scales[j] /= 127f;
    }

    /** Dequantized keys of KV head g of every row, row-major, into {@code keys}. */
    private void keysOf(ColdRows rows, int g, float[] keys) {
        for (int r = 0; r < rows.rows(); r++) {
            kernels.dequantizeQ8(rows.codes(), r * 2 * rowStride + g * headSize, rows.scales(), r * 2 * kvHeads + g, 1, headSize, keys,
                    r * headSize);
        }
    }

    /** Pivoted Gram-Schmidt on up to {@link #FIT_ROWS} evenly spaced rows of {@code keys} (n rows of the head size). */
    private Basis fit(float[] keys, int n) {
        int m = Math.min(n, FIT_ROWS);
        float[] mean = new float[headSize];
        double[] sum = new double[headSize];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < headSize; i++) sum[i] += keys[r * headSize + i];
        }
        for (int i = 0; i < headSize; i++) mean[i] = (float) (sum[i] / n);
        double[][] rest = new double[m][headSize];
        double[] restNorms = new double[m];
        for (int s = 0; s < m; s++) {
            int r = (int) ((long) s * n / m);
            for (int i = 0; i < headSize; i++) rest[s][i] = keys[r * headSize + i] - mean[i];
            restNorms[s] = sumOfSquares(rest[s]);
        }
        double largest = Arrays.stream(restNorms).max().orElse(0), stop = largest * RESIDUAL_TOLERANCE * RESIDUAL_TOLERANCE;
        double[][] found = new double[maxRank][];
        int rank = 0;
        while (rank < maxRank) {
            int pivot = 0;
            for (int s = 1; s < m; s++) if (restNorms[s] > restNorms[pivot]) pivot = s;
            if (restNorms[pivot] <= stop || restNorms[pivot] == 0) break;
            double[] u = rest[pivot].clone();
            for (int k = 0; k < rank; k++) subtractProjection(u, found[k]); // again, against rounding drift
            double norm = Math.sqrt(sumOfSquares(u));
            if (norm == 0) break;
            for (int i = 0; i < headSize; i++) u[i] /= norm;
            found[rank++] = u;
            for (int s = 0; s < m; s++) {
                subtractProjection(rest[s], u);
                restNorms[s] = sumOfSquares(rest[s]);
            }
        }
        float[] directions = new float[rank * headSize];
        for (int j = 0; j < rank; j++) {
            for (int i = 0; i < headSize; i++) directions[j * headSize + i] = (float) found[j][i];
        }
        return new Basis(rank, mean, directions, new float[rank]); // scales: set by encode from the fitted rows
    }

    private static void subtractProjection(double[] x, double[] u) {
        double a = 0;
        for (int i = 0; i < x.length; i++) a += x[i] * u[i];
        for (int i = 0; i < x.length; i++) x[i] -= a * u[i];
    }

    private static double sumOfSquares(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return s;
    }

    private static double sumOfSquares(float[] x, int from, int len) {
        double s = 0;
        for (int i = from; i < from + len; i++) s += (double) x[i] * x[i];
        return s;
    }

    private void ensureCapacity(int layer, int positions) {
        int old = capacity[layer];
        if (positions <= old) return;
        // whole panels, no slack: the sketch grows once per demotion, and its resident bytes matter more than copies;
        // panels are position-major, so growing appends them
        int grown = Math.ceilDiv(positions, Kernels.Q8_PANEL) * Kernels.Q8_PANEL;
        for (int g = 0; g < kvHeads; g++) {
            Basis b = bases[layer][g];
            codes[layer][g] = Arrays.copyOf(codes[layer][g], (b == null ? 0 : b.rank()) * grown); // fitting allocates a layer's first codes
            remainders[layer][g] = Arrays.copyOf(remainders[layer][g], grown);
            Arrays.fill(remainders[layer][g], old, grown, Float.NEGATIVE_INFINITY);
        }
        coldRows[layer] = Arrays.copyOf(coldRows[layer], Math.ceilDiv(grown, chunk));
        capacity[layer] = grown;
    }
}
