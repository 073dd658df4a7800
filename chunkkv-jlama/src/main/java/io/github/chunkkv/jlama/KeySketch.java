package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A low-rank sketch of the cold tier's keys, per layer and KV head, from which decode-time recall bounds q·k of every
 * cold row without reading the rows. Each key is written as {@code k = mean + sum_j c_j u_j + x_T + e} with orthonormal
 * directions u_j fitted to the layer's keys (the coded ones), x_T in the rest of the keys' span (the tail) and e
 * orthogonal to both; the coordinates c_j are kept as Q8 codes c'_j with one scale s_j per direction, |x_T| rounded up
 * to a Q8 code of its own, and |e| per row. The scales cover every cold row, so {@code |c_j - c'_j| <= s_j / 2}; x_T
 * meets only q's part in the tail, {@code q_T}, and e only the part outside the span, {@code q_perp}. Then
 * {@code q·k <= q·mean + sum_j c'_j (q·u_j) + sum_j |q·u_j| s_j / 2 + |q_T| |x_T| + |q_perp| |e|} for every query,
 * exactly: the sketch decides nothing by itself, it only rules rows out. The first three terms are per query; only
 * the products with the codes and the remainders are per row.
 *
 * <p>Why a sketch and not Quest's per-chunk minimum and maximum of each key value: keys are low-rank (Loki, ShadowKV),
 * and a bound per row over the right directions is tight where a box around a chunk's rows is not. Measured on
 * needle-lm's multi-turn decoding (2,048-token contexts, 5 questions, every decode step of every layer): the keys have
 * rank 16, 16, 40 and 80 in its four layers; Quest's box let 84 of ~190 cold chunks pass the promotion threshold per
 * layer and step, so 32 of them had to be read and scored, while this bound lets through 0-1, the chunks that truly
 * reach it. Paying the codes' rounding per query and the remainder only with {@code |q_perp|}, rather than
 * {@code |q| |e|} with the rounding inside e, cut the chunks layer 3 let through from 0.95 to 0.06 per step (bench
 * decoding, 64 directions). A query's bounds are a pass over the codes, stored by direction so that the lanes of one
 * SIMD multiply-add cover consecutive rows, in panels read front to back ({@link Kernels#dotQ8Panels}); no scattered
 * row is read; the tail's code is one more direction there, its coefficient |q_T| times its scale.
 *
 * <p>Why a tail: a tier holds few coded directions where its resident bytes are scarce (the disk tier's 21 for a head
 * of 128), and keys of a higher rank left much in e. A query has much outside the keys' span, and |q_perp| |e| paid
 * for all of it: layers 2 and 3 of needle-lm let ~15 and ~23 chunks through per step, all read and scored. Split at
 * the span, the part outside meets only what is left of the keys there (below the fit's tolerance), and the tail part
 * only |q_T|: 0.5 and 1.7 chunks per step (bench decoding). The tail costs its directions, kept as F16 (their
 * rounding, and a product's, are paid as a margin on |q_T| and |x_T|: with float directions 0.6 and 0.8 chunks passed,
 * as BF16 the margin let 17 through in layer 3), and a byte a row.
 *
 * <p>The directions are found by pivoted Gram-Schmidt on a sample of the layer's cold keys: each step adds the
 * sample row with the largest remainder, until every remainder is below {@link #RESIDUAL_TOLERANCE} of the largest
 * centred row. The first ones, up to the tier's most, are coded, the rest are the tail; where the span takes more than
 * {@link #MAX_TAIL_SPAN} of the head, there is no tail, and e is what the coded directions leave (keys of such rank
 * get a looser bound, and recall then verifies more chunks). The bound pays each row's own remainder, so the largest
 * remainder is the one to remove next. The directions are fitted on the first rows a layer demotes and fitted again
 * (all cold rows re-encoded) whenever its cold rows have doubled since, or a row joins with a coordinate or a tail
 * beyond what the scales cover. Arrays are indexed by position and grow with the highest cold position.
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
    /** Bound of a float product's rounding, per coordinate and unit |v| (see {@link #FLOAT_PRODUCT_SLACK}). */
    private static final double COORDINATE_ROUNDING = 128 * 0x1p-24;
    /**
     * A tail is kept where the keys' span takes at most this fraction of the head size: it pays for the part of a query
     * outside the span, and where the span is nearly the whole space (keys of full rank), it would be the old bound
     * |q_perp| |e| again at the cost of its directions.
     */
    private static final double MAX_TAIL_SPAN = 0.75;

    /**
     * One layer and KV head's directions: row j of {@code directions} is u_j; {@code scales[j]} the code scale of c_j,
     * and with a tail, {@code scales[rank]} that of a key's norm in it. {@code tail}: the tail's directions, row by row,
     * as F16 bits; {@code tailMargin}: how far |U_T v| can be from the product with those, per unit |v|.
     */
    private record Basis(int rank, float[] mean, float[] directions, float[] scales, int tailRank, short[] tail, double tailMargin) {
        /** Code columns per row: the coordinates, then the tail's norm if there is a tail. */
        int columns() {
            return scales.length;
        }
    }

    private final Kernels kernels;
    private final int chunk, rowStride, headSize, kvHeads, maxRank;
    private final Basis[][] bases; // [layer][kvHead]; null until the layer's first demotion
    private final byte[][][] codes; // [layer][kvHead]: panels of Kernels.Q8_PANEL positions (see Kernels#dotQ8Panels)
    private final float[][][] remainders; // [layer][kvHead][position]: bound of |e|; -inf where the row is not cold
    private final int[][] coldRows; // [layer][chunk id]
    private final int[] capacity, chunks, coldCount, fittedRows;
    private final double[][] largestNorm; // [layer][kvHead]: the largest |mean| + |k - mean| encoded since the last fit
    private final float[] tailDirection; // one of a tail's directions as floats, for a query's products

    /**
     * @param maxRank most coded directions per KV head, in [0, headSize]: the sketch's bytes per position and KV head,
     *     less 4 for the remainder and 1 for the tail's code where there is a tail
     */
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
        this.tailDirection = new float[headSize];
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

    /** Coded directions of a layer's KV head; 0 before the layer's first demotion. */
    int rank(int layer, int kvHead) {
        Basis b = bases[layer][kvHead];
        return b == null ? 0 : b.rank();
    }

    /** A batch of queries in a layer's sketch coordinates; see {@link #project}. Reused, never shrunk. */
    static final class Projection {
        private float[] coords = new float[0], means = new float[0], offsets = new float[0], norms = new float[0];
        private float[] tailCoords = new float[0];
        private int columns, queries;
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
     * {@link #scan}: q·u_j times each code scale, the most |q_T| can be times the tail's, the most |q_perp| can be,
     * and the per-query terms of the bound (q·mean, the codes' rounding, the margin).
     */
    void project(int layer, int kvHead, float[] q, int qOff, int queries, Projection into) {
        Basis b = bases[layer][kvHead];
        into.columns = b == null ? 0 : b.columns();
        into.queries = queries;
        if (b == null) return;
        int rank = b.rank(), columns = b.columns(), tailRank = b.tailRank();
        if (into.coords.length < queries * columns) into.coords = new float[queries * columns];
        if (into.tailCoords.length < queries * tailRank) into.tailCoords = new float[queries * tailRank];
        if (into.offsets.length < queries) {
            into.means = new float[queries];
            into.offsets = new float[queries];
            into.norms = new float[queries];
        }
        if (rank > 0) kernels.matmulTransposed(q, qOff, queries, b.directions(), 0, rank, headSize, into.coords, 0, columns);
        for (int j = 0; j < tailRank; j++) { // a direction at a time: decoding the whole tail would need its size in floats
            decodeTailDirection(b, j, tailDirection, 0);
            for (int i = 0; i < queries; i++) into.tailCoords[i * tailRank + j] = kernels.dot(q, qOff + i * headSize, tailDirection, 0, headSize);
        }
        for (int i = 0; i < queries; i++) {
            int at = qOff + i * headSize;
            double squared = kernels.dot(q, at, q, at, headSize), inSpan = 0, rounding = 0;
            for (int j = 0; j < rank; j++) {
                double c = into.coords[i * columns + j];
                inSpan += c * c;
                rounding += Math.abs(c) * b.scales()[j] / 2;
            }
            double margin = ROUNDING_MARGIN * Math.sqrt(squared) * largestNorm[layer][kvHead];
            into.means[i] = kernels.dot(q, at, b.mean(), 0, headSize);
            into.offsets[i] = Math.nextUp((float) (into.means[i] + rounding + margin));
            for (int j = 0; j < rank; j++) into.coords[i * columns + j] *= b.scales()[j];
            double leastInTail = 0; // |q_T| is within the margin of the norm of its products with the stored tail
            if (tailRank > 0) {
                double norm = norm(into.tailCoords, i * tailRank, tailRank), off = b.tailMargin() * Math.sqrt(squared);
                into.coords[i * columns + rank] = Math.nextUp((float) (norm + off)) * b.scales()[rank];
                leastInTail = Math.max(0, norm - off);
            }
            // never 0, so that 0 * -inf (a row that is not cold) cannot make a NaN
            double outside = Math.sqrt(Math.max(0, squared - inSpan - leastInTail * leastInTail) + FLOAT_PRODUCT_SLACK * squared);
            into.norms[i] = Math.max(Float.MIN_NORMAL, Math.nextUp((float) outside));
        }
    }

    /** The tail's direction j as floats into {@code out} from {@code outOff}. */
    private void decodeTailDirection(Basis b, int j, float[] out, int outOff) {
        for (int i = 0; i < headSize; i++) out[outOff + i] = Float.float16ToFloat(b.tail()[j * headSize + i]);
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
        kernels.dotQ8Panels(projection.coords, 0, queries, projection.columns, codes[layer][kvHead], 0, into.n, into.dots, 0);
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
        byte[] code = codes[scan.layer][scan.kvHead];
        Basis b = bases[scan.layer][scan.kvHead];
        Projection projection = scan.projection;
        int columns = projection.columns, panel = Kernels.Q8_PANEL;
        for (int i = 0; i < projection.queries; i++) {
            float norm = projection.norms[i];
            // the products include the tail's term of the bound, which the estimate leaves out
            float tail = b.tailRank() == 0 ? 0 : projection.coords[i * columns + b.rank()];
            for (int c = 0; c < chunkCount; c++) {
                float bound = Float.NEGATIVE_INFINITY, estimate = Float.NEGATIVE_INFINITY;
                for (int p = Math.min(c * chunk, to), end = Math.min((c + 1) * chunk, to); p < end; p++) {
                    float rest = remainder[p];
                    if (rest == Float.NEGATIVE_INFINITY) continue;
                    float dot = scan.dots[i * scan.n + p];
                    estimate = Math.max(estimate, tail == 0 ? dot : dot - tail * code[p / panel * panel * columns + b.rank() * panel + p % panel]);
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
                if (b != null) bytes += 4L * (b.mean().length + b.directions().length + b.scales().length) + 2L * b.tail().length;
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
        float[] keys = new float[n * headSize], coords = new float[0], tailCoords = new float[0];
        for (int g = 0; g < kvHeads; g++) {
            keysOf(rows, g, keys);
            if (fit) {
                bases[layer][g] = fit(keys, n);
                codes[layer][g] = new byte[bases[layer][g].columns() * capacity[layer]]; // capacity: whole panels
                largestNorm[layer][g] = 0;
            }
            Basis b = bases[layer][g];
            int rank = b.rank(), columns = b.columns(), tailRank = b.tailRank();
            float[] centred = keys.clone();
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < headSize; i++) centred[r * headSize + i] -= b.mean()[i];
            }
            if (coords.length < n * rank) coords = new float[n * rank];
            if (tailCoords.length < n * tailRank) tailCoords = new float[n * tailRank];
            if (rank > 0) kernels.matmulTransposed(centred, 0, n, b.directions(), 0, rank, headSize, coords, 0, rank); // all rows in one product
            if (tailRank > 0) {
                float[] tail = new float[tailRank * headSize];
                for (int j = 0; j < tailRank; j++) decodeTailDirection(b, j, tail, j * headSize);
                kernels.matmulTransposed(centred, 0, n, tail, 0, tailRank, headSize, tailCoords, 0, tailRank);
            }
            byte[] code = codes[layer][g];
            double meanNorm = Math.sqrt(sumOfSquares(b.mean(), 0, headSize));
            double[] squares = new double[n]; // |x|^2 (a float product: see FLOAT_PRODUCT_SLACK)
            double[] tailNorms = new double[n], leastInTail = new double[n]; // the largest and the least |x_T| can be
            for (int r = 0; r < n; r++) squares[r] = kernels.dot(centred, r * headSize, centred, r * headSize, headSize);
            for (int r = 0; r < n && tailRank > 0; r++) {
                double norm = norm(tailCoords, r * tailRank, tailRank), margin = b.tailMargin() * Math.sqrt(squares[r]);
                tailNorms[r] = norm + margin;
                leastInTail[r] = Math.max(0, norm - margin);
            }
            if (fit) setScales(b, coords, tailNorms, n);
            for (int r = 0; r < n; r++) {
                int p = rows.positions()[r], at = p / panel * panel * columns + p % panel;
                // |e|^2 = |x|^2 - |c|^2 - |x_T|^2 for orthonormal u_j, coordinates c of the centred key x, x_T its part in the tail
                double x = squares[r], inSpan = leastInTail[r] * leastInTail[r];
                for (int j = 0; j < rank; j++) {
                    float s = b.scales()[j], c = coords[r * rank + j];
                    int q = s == 0f ? 0 : Math.max(-127, Math.min(127, Math.round(c / s)));
                    code[at + j * panel] = (byte) q;
                    inSpan += (double) c * c;
                    covered &= Math.abs(c) <= 127.5f * s; // within half a step of its code
                }
                if (tailRank > 0) { // rounded up: the code times its scale is at least |x_T|
                    double steps = b.scales()[rank] == 0f ? 0 : Math.ceil(tailNorms[r] / b.scales()[rank]);
                    code[at + rank * panel] = (byte) Math.min(127, steps);
                    covered &= steps <= 127;
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

    /**
     * Code scales that cover the coordinates of {@code n} rows, and their norms in the tail: the largest |c_j| over
     * them maps to 127, and the largest norm to at most 127 when rounded up.
     */
    private static void setScales(Basis b, float[] coords, double[] tailNorms, int n) {
        float[] scales = b.scales();
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < b.rank(); j++) scales[j] = Math.max(scales[j], Math.abs(coords[r * b.rank() + j]));
        }
        for (int j = 0; j < b.rank(); j++) scales[j] /= 127f;
        if (b.tailRank() > 0) scales[b.rank()] = Math.nextUp((float) (Arrays.stream(tailNorms, 0, n).max().orElse(0) / 127));
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
        float[] samples = new float[m * headSize]; // centred
        double[] restNorms = new double[m]; // |x - sum_k (x·u_k) u_k|^2 = |x|^2 - sum_k (x·u_k)^2 for orthonormal u_k
        for (int s = 0; s < m; s++) {
            int r = (int) ((long) s * n / m);
            for (int i = 0; i < headSize; i++) samples[s * headSize + i] = keys[r * headSize + i] - mean[i];
            restNorms[s] = sumOfSquares(samples, s * headSize, headSize);
        }
        float[] direction = new float[headSize], products = new float[m];
        double largest = Arrays.stream(restNorms).max().orElse(0), stop = largest * RESIDUAL_TOLERANCE * RESIDUAL_TOLERANCE;
        int limit = Math.max(maxRank, (int) (MAX_TAIL_SPAN * headSize));
        double[][] found = new double[limit][];
        int rank = 0;
        boolean spanned = false; // every sampled remainder is below the tolerance
        while (rank < limit) {
            int pivot = 0;
            for (int s = 1; s < m; s++) if (restNorms[s] > restNorms[pivot]) pivot = s;
            if (spanned = restNorms[pivot] <= stop || restNorms[pivot] == 0) break;
            double[] u = new double[headSize];
            for (int i = 0; i < headSize; i++) u[i] = samples[pivot * headSize + i];
            for (int pass = 0; pass < 2; pass++) { // twice, against rounding drift
                for (int k = 0; k < rank; k++) subtractProjection(u, found[k]);
            }
            double norm = Math.sqrt(sumOfSquares(u));
            if (spanned = norm == 0) break;
            for (int i = 0; i < headSize; i++) direction[i] = (float) (u[i] /= norm);
            found[rank++] = u;
            // only the remainders' norms are updated, from one product of the samples with u: the remainder of the
            // next pivot alone is needed (float products: their rounding is far below the tolerance)
            kernels.matmulTransposed(samples, 0, m, direction, 0, 1, headSize, products, 0, 1);
            for (int s = 0; s < m; s++) restNorms[s] = Math.max(0, restNorms[s] - (double) products[s] * products[s]);
        }
        int tailRank = spanned ? Math.max(0, rank - maxRank) : 0;
        rank -= tailRank;
        if (!spanned) rank = Math.min(rank, maxRank);
        float[] directions = new float[rank * headSize];
        for (int j = 0; j < rank; j++) {
            for (int i = 0; i < headSize; i++) directions[j * headSize + i] = (float) found[j][i];
        }
        short[] tail = new short[tailRank * headSize];
        double rounding = 0; // of the tail's directions to F16, squared: a bound on |U_T v - U'_T v|^2 / |v|^2
        for (int j = 0; j < tailRank; j++) {
            for (int i = 0; i < headSize; i++) {
                tail[j * headSize + i] = Float.floatToFloat16((float) found[rank + j][i]);
                double error = Float.float16ToFloat(tail[j * headSize + i]) - found[rank + j][i];
                rounding += error * error;
            }
        }
        double tailMargin = tailRank == 0 ? 0 : Math.sqrt(rounding) + Math.sqrt(tailRank) * COORDINATE_ROUNDING;
        // scales: set by encode from the fitted rows
        return new Basis(rank, mean, directions, new float[rank + (tailRank > 0 ? 1 : 0)], tailRank, tail, tailMargin);
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

    private static double norm(float[] x, int from, int len) {
        return Math.sqrt(sumOfSquares(x, from, len));
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
            codes[layer][g] = Arrays.copyOf(codes[layer][g], (b == null ? 0 : b.columns()) * grown); // fitting allocates a layer's first codes
            remainders[layer][g] = Arrays.copyOf(remainders[layer][g], grown);
            Arrays.fill(remainders[layer][g], old, grown, Float.NEGATIVE_INFINITY);
        }
        coldRows[layer] = Arrays.copyOf(coldRows[layer], Math.ceilDiv(grown, chunk));
        capacity[layer] = grown;
    }
}
