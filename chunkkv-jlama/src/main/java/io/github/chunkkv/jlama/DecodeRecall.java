package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decode-time recall (Quest's query-aware chunk selection over ArkVale-style recallable chunks): at each decode step,
 * each layer asks whether the step's query would attend to a cold chunk, and promotes such chunks into the hot cache
 * so the step attends over hot + promoted rows. The question that scored the last re-selection
 * is not the only reader of the cache: while an answer is decoded, later layers look up rows (the next value token,
 * the end of a span) that the question never attended to.
 *
 * <p>Rule, per layer and step, with Z_h the softmax normaliser of query head h over the hot rows (the step's own row
 * included): a chunk's <em>mass</em> for head h is its rows' {@code sum exp(scale · q_h·k) / Z_h}, the attention it
 * would draw relative to everything hot. The step attends over the hot rows first, and the attention kernel returns
 * Z_h, so the rule adds no pass over the hot rows. A chunk is promoted when its mass reaches {@link #MIN_MASS} for
 * some head; at most {@code promote} chunks, the heaviest. Finding them takes two passes:
 * <ol>
 *   <li>screening by an upper bound: {@code n_c · exp(scale · B_c) / Z_h}, with B_c the largest bound of q·k over the
 *       chunk's cold rows from the tier's {@link KeySketch}, bounds the mass from above, so chunks below the threshold
 *       are skipped without reading a row; of the rest, the {@link #SCREENED_CHUNKS} with the highest sketch estimate
 *       (the same sum without the sketch's remainders, Loki's low-rank score) go on;</li>
 *   <li>verification: their cold keys (dequantized, as a promotion would bring them back) give the true mass.</li>
 * </ol>
 * Measured on needle-lm (head size 128, chunks of 10; multi-turn eval, 8 contexts × 5 questions, both modes), when the
 * screen was Quest's bound (a box of each chunk's per-value minimum and maximum): that bound exceeded any threshold
 * from 0.5 to 32 for nearly every chunk, so promoting by bound alone filled the budget every step (promote=1: 139-188
 * rows per answer, accuracy 0.825; promote=8: over 1,000 rows, hot KV up from 11.5% to 25%, 0.925), and verifying its
 * 32 best-bounded chunks (promoted chunks ranked up to 28th) cost most of a step's recall time in scattered reads.
 * The sketch's bound is tight on low-rank keys: nearly every step it rules out every chunk, and when it does not,
 * verification reads the few it lets through. A chunk whose mass reaches the threshold is promoted whenever at most
 * {@link #SCREENED_CHUNKS} chunks pass the screen; where more pass (a sketch that leaves much out), the estimate picks
 * which to verify, and ranked by bound instead the disk tier's smaller sketch lost one promotion on those contexts.
 * A threshold relative to the hot rows, rather than Quest's fixed top-k, promotes nothing while the hot set holds what
 * the query looks for, so memory grows only when a step needs a cold row, and by at most {@code promote × chunk} rows
 * per layer and step. The promoted rows' share of attention is merged into the step's output with FlashAttention's
 * rule for two softmax blocks (rescale the hot output by Z_h / Z'_h, add the new rows' weights over Z'_h), which is
 * attention over hot and promoted rows together up to float rounding. Promoted rows stay hot until the next
 * re-selection (a later prefill, or the decoding cap), unless the steps that promoted them are rewound: then they go
 * back to the cold tier, so a rewound session is the one it was.
 */
final class DecodeRecall {
    /** Rows one decode step promoted into one layer. */
    private record Promotion(int step, int layer, int[] positions) {}

    /** Least attention a chunk would draw, relative to all hot rows together, for it to be promoted. */
    static final float MIN_MASS = 0.5f;
    /** Chunks per layer and step whose true mass is computed (more when {@code promote} is larger). */
    static final int SCREENED_CHUNKS = 32;
    private static final float LOG_MIN_MASS = (float) Math.log(MIN_MASS);
    /**
     * Slack of the exponential-skipping test in {@link #verifyMasses}: a log-sum-exp may exceed its bound by the
     * rounding of the exponentials, far below this.
     */
    private static final float SKIP_MARGIN = 1e-3f;

    private final Kernels kernels;
    private final int promote;
    private final int numHeads, headSize, group;
    private final float scale;
    private final int slidingWindow;
    private final List<Promotion> since = new ArrayList<>(); // since the last prefill, in step order
    private long promotedRows;
    private final TopScores screening = new TopScores(), choosing = new TopScores();
    // Scratch, grown and never shrunk: a session decodes one step at a time, and a step allocates nothing unless it promotes.
    private float[] grouped = new float[0]; // queries in KV-head order
    private float[] bounds = new float[0], estimates = new float[0], bestBound = new float[0];
    private int boundLayer = -1, boundChunks, boundRows; // what the last prepareBounds readied
    private KeySketch boundSketch;
    private final int slices; // boundCold tasks per KV head
    private final KeySketch.Projection[] projections; // per boundCold task
    private final KeySketch.Scan[] scans; // per boundCold task
    private float[] dots = new float[0], logits = new float[0], masses = new float[0];

    /**
     * @param slidingWindow the model's sliding attention window, 0 for none: promoted rows outside it are not attended
     * @param slices {@link #boundCold} tasks per KV head: the threads that run them
     */
    DecodeRecall(Kernels kernels, int promote, int numHeads, int numKvHeads, int headSize, float scale, int slidingWindow, int slices) {
        this.kernels = kernels;
        this.promote = promote;
        this.numHeads = numHeads;
        this.headSize = headSize;
        this.group = numHeads / numKvHeads;
        this.scale = scale;
        this.slidingWindow = slidingWindow;
        this.slices = slices;
        this.projections = new KeySketch.Projection[numKvHeads * slices];
        for (int t = 0; t < projections.length; t++) projections[t] = new KeySketch.Projection();
        this.scans = new KeySketch.Scan[numKvHeads * slices];
        for (int t = 0; t < scans.length; t++) scans[t] = new KeySketch.Scan();
    }

    /** Rows promoted since {@link #afterPrefill}. */
    long promotedRows() {
        return promotedRows;
    }

    /** A prefill re-selects everything: what decoding promoted before it is no longer tracked. */
    void afterPrefill() {
        promotedRows = 0;
        since.clear();
    }

    /** Demotes again what the decode steps at {@code position} and after promoted, newest first. */
    void undoFrom(int position, LayerKvCache[] caches, ColdTier cold) {
        for (int i = since.size() - 1; i >= 0 && since.get(i).step() >= position; i--) {
            Promotion p = since.remove(i);
            LayerKvCache cache = caches[p.layer()];
            int[] promoted = cache.slotsOf(p.positions());
            int[] kept = new int[cache.size() - promoted.length];
            for (int slot = 0, k = 0, j = 0; slot < cache.size(); slot++) {
                if (j < promoted.length && promoted[j] == slot) j++;
                else kept[k++] = slot;
            }
            cold.demote(p.layer(), cache, kept);
            cache.retain(kept);
            promotedRows -= promoted.length;
        }
    }

    /**
     * Readies the bounds of the query rows {@code q} (post-RoPE, all heads per row) over the layer's cold chunks, which
     * {@link #boundCold} tasks then compute from the tier's sketch. Neither needs anything from the hot attention, so
     * the tasks may run alongside it, on other threads; {@link #afterAttention} reads their bounds and must follow for
     * the same layer and queries.
     *
     * @return the number of {@link #boundCold} tasks to run, 0 when the layer has nothing cold
     */
    int prepareBounds(int layer, float[] q, int rows, ColdTier cold) {
        KeySketch sketch = cold.sketch();
        int chunks = cold.rowCount(layer) == 0 ? 0 : sketch.chunks(layer), perKvHead = rows * group, kvHeads = numHeads / group;
        boundLayer = layer;
        boundChunks = chunks;
        boundRows = rows;
        boundSketch = sketch;
        if (chunks == 0) return 0;
        groupQueries(q, rows);
        if (bounds.length < kvHeads * perKvHead * chunks) {
            bounds = new float[kvHeads * perKvHead * chunks];
            estimates = new float[bounds.length];
        }
        return kvHeads * slices;
    }

    /**
     * Task {@code task} of the last {@link #prepareBounds}: the sketch's scan of one slice of the chunks for one KV
     * head's queries. Tasks may run at once.
     */
    void boundCold(int task) {
        int g = task / slices, slice = task % slices, chunks = boundChunks, perKvHead = boundRows * group;
        // each task projects its queries itself: a serial projection on the calling thread would hold up the loop
        boundSketch.project(boundLayer, g, grouped, g * perKvHead * headSize, perKvHead, projections[task]);
        boundSketch.scan(boundLayer, g, projections[task], (int) ((long) chunks * slice / slices), (int) ((long) chunks * (slice + 1) / slices),
                scans[task]);
    }

    /**
     * After the query rows {@code q} (the first at position {@code step}) attended over the layer's hot {@code cache}
     * into {@code out}, and {@link #boundCold} bounded them over the cold chunks: promotes the cold chunks they would
     * attend to into the cache and merges the promoted rows' share of attention into {@code out}.
     *
     * @param logZ per query (row * heads + head), the log of its softmax normaliser over the hot rows; updated to
     *     include the promoted rows
     * @throws IllegalStateException if {@link #prepareBounds} did not run for this layer since the last call
     */
    void afterAttention(int step, int layer, float[] q, int rows, float[] logZ, float[] out, LayerKvCache cache, ColdTier cold) {
        if (boundLayer != layer) throw new IllegalStateException("prepareBounds and its tasks must run for layer " + layer + " first");
        boundLayer = -1;
        int chunks = boundChunks;
        if (chunks == 0 || !boundMasses(layer, rows, logZ, chunks)) return;
        int screened = screening.select(bestBound, chunks, Math.max(SCREENED_CHUNKS, promote), -Float.MAX_VALUE);
        if (screened == 0) return;
        verifyMasses(layer, rows, logZ, cold, screened);
        int chosen = choosing.select(masses, screened, promote, LOG_MIN_MASS);
        if (chosen == 0) return;
        int[] chunkIds = new int[chosen];
        for (int i = 0; i < chosen; i++) chunkIds[i] = screening.ids()[choosing.ids()[i]];
        ColdTier.DecodedRows promoted = cold.promoteChunks(layer, chunkIds, cache);
        mergeAttention(step, q, rows, logZ, promoted, out);
        promotedRows += promoted.positions().length;
        since.add(new Promotion(step, layer, promoted.positions()));
    }

    /**
     * Copies the query rows into KV-head order, so each KV head's queries (its group's heads, row by row) are
     * consecutive for the batched kernels.
     */
    private void groupQueries(float[] q, int rows) {
        int n = rows * numHeads * headSize, kvHeads = numHeads / group;
        if (grouped.length < n) grouped = new float[n];
        for (int g = 0; g < kvHeads; g++) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(q, (r * numHeads + g * group) * headSize, grouped, (g * rows + r) * group * headSize, group * headSize);
            }
        }
    }

    /** Index into the query rows (row * heads + head) of KV head g's query t in {@link #groupQueries} order. */
    private int queryIndex(int g, int t) {
        return t / group * numHeads + g * group + t % group;
    }

    /**
     * {@code bestBound[c]}: for a chunk whose bound of log mass, {@code log n_c + scale · B_c - log Z}, reaches the
     * threshold for some query, the same with the sketch's estimate in place of the bound B_c (for the query where it
     * is largest); negative infinity for the rest. So the bound rules chunks out, exactly, and the estimate ranks those
     * left for verification. Nearly every step, no chunk of a slice can reach the threshold by the slice's largest
     * bound with a whole chunk's rows, and the slice's chunks are not looked at one by one.
     *
     * @return whether any chunk reaches the threshold by its bound; if not, {@code bestBound} is not written
     */
    private boolean boundMasses(int layer, int rows, float[] logZ, int chunks) {
        int perKvHead = rows * group, chunk = boundSketch.chunkSize();
        float logChunk = (float) Math.log(chunk);
        boolean any = false;
        for (int task = 0; task < scans.length; task++) {
            KeySketch.Scan scan = scans[task];
            int g = task / slices, at = g * perKvHead * chunks;
            boolean reaches = false;
            for (int t = 0; t < perKvHead; t++) reaches |= logChunk + scale * scan.maxBound(t) - logZ[queryIndex(g, t)] >= LOG_MIN_MASS;
            if (!reaches) continue;
            if (!any) {
                if (bestBound.length < chunks) bestBound = new float[chunks];
                Arrays.fill(bestBound, 0, chunks, Float.NEGATIVE_INFINITY);
                any = true;
            }
            boundSketch.chunkBounds(scan, bounds, estimates, at);
            for (int t = 0; t < perKvHead; t++) {
                float z = logZ[queryIndex(g, t)];
                for (int c = scan.fromChunk(); c < scan.toChunk(); c++) {
                    float logRows = logOf(boundSketch.coldRows(layer, c), chunk, logChunk);
                    if (logRows + scale * bounds[at + t * chunks + c] - z >= LOG_MIN_MASS) {
                        bestBound[c] = Math.max(bestBound[c], logRows + scale * estimates[at + t * chunks + c] - z);
                    }
                }
            }
        }
        return any;
    }

    /** log n, -inf for 0; most cold chunks are whole, so {@code logChunk} (log chunk) serves them all. */
    private static float logOf(int n, int chunk, float logChunk) {
        return n == 0 ? Float.NEGATIVE_INFINITY : n == chunk ? logChunk : (float) Math.log(n);
    }

    /**
     * {@code masses[s]}: log of the true mass of the s-th screened chunk for the query where it is largest, or -inf when
     * no query's can reach {@link #MIN_MASS}. Logits come from the Q8 codes where the tier keeps them (code dot query,
     * times the row's scale: the dequantized keys a promotion would bring back), each KV head's queries against a
     * chunk's rows in one kernel call, and a chunk's log-sum-exp from the softmax kernel. That log-sum-exp is at most
     * the largest logit plus log(rows), so a query that cannot reach the threshold skips the exponentials: nearly all,
     * since promotions are rare.
     */
    private void verifyMasses(int layer, int rows, float[] logZ, ColdTier cold, int screened) {
        ColdTier.ChunkKeys keys = cold.chunkKeys(layer, screening.ids(), screened);
        int perKvHead = rows * group, kvHeads = numHeads / group, chunk = cold.sketch().chunkSize();
        float logChunk = (float) Math.log(chunk);
        if (masses.length < screened) masses = new float[screened];
        for (int s = 0; s < screened; s++) {
            int from = keys.from(s), n = keys.to(s) - from;
            if (dots.length < perKvHead * n) dots = new float[perKvHead * n];
            if (logits.length < n) logits = new float[n];
            float logN = logOf(n, chunk, logChunk);
            masses[s] = Float.NEGATIVE_INFINITY;
            for (int g = 0; g < kvHeads && n > 0; g++) {
                kernels.dotQ8Rows(grouped, g * perKvHead * headSize, perKvHead, keys.codes(), from * keys.codeStride() + g * headSize,
                        keys.codeStride(), n, headSize, dots, 0);
                for (int t = 0; t < perKvHead; t++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int r = 0; r < n; r++) {
                        logits[r] = scale * keys.scales()[(from + r) * keys.scaleStride() + g] * dots[t * n + r];
                        max = Math.max(max, logits[r]);
                    }
                    float z = logZ[queryIndex(g, t)];
                    if (max + logN - z < LOG_MIN_MASS - SKIP_MARGIN) continue;
                    masses[s] = Math.max(masses[s], kernels.softmax(logits, 0, n) - z);
                }
            }
        }
    }

    /**
     * Adds the promoted rows to each query's attention output: with Z the hot normaliser and Z' = Z + sum exp(logit)
     * over the promoted rows the query sees, out' = out · Z / Z' + sum exp(logit) / Z' · v (in the log domain).
     */
    private void mergeAttention(int step, float[] q, int rows, float[] logZ, ColdTier.DecodedRows promoted, float[] out) {
        int n = promoted.positions().length, rowStride = numHeads / group * headSize;
        float[] promotedLogits = new float[n];
        for (int i = 0; i < rows * numHeads; i++) {
            int qOff = i * headSize, kvOff = i % numHeads / group * headSize;
            int oldestVisible = slidingWindow > 0 ? step + i / numHeads - slidingWindow + 1 : Integer.MIN_VALUE;
            float max = logZ[i];
            for (int s = 0; s < n; s++) {
                promotedLogits[s] = promoted.positions()[s] < oldestVisible ? Float.NEGATIVE_INFINITY
                        : scale * kernels.dot(q, qOff, promoted.keys(), s * rowStride + kvOff, headSize);
                max = Math.max(max, promotedLogits[s]);
            }
            double sum = Math.exp(logZ[i] - max);
            for (float logit : promotedLogits) sum += Math.exp(logit - max);
            float merged = max + (float) Math.log(sum), hotShare = (float) Math.exp(logZ[i] - merged);
            for (int j = qOff; j < qOff + headSize; j++) out[j] *= hotShare;
            for (int s = 0; s < n; s++) {
                if (promotedLogits[s] > Float.NEGATIVE_INFINITY) {
                    kernels.axpy((float) Math.exp(promotedLogits[s] - merged), promoted.values(), s * rowStride + kvOff, out, qOff, headSize);
                }
            }
            logZ[i] = merged;
        }
    }
}
