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
 * Neither pass needs the hot attention's output, only its normalisers for the final comparison, so both run on the
 * calling thread while Jlama's pool computes the hot attention ({@link #prepare}), verification against the layer's
 * last normalisers less a margin; what that missed is verified after.
 * Measured on needle-lm (head size 128, chunks of 10; multi-turn eval, 8 contexts × 5 questions, both modes), when the
 * screen was Quest's bound (a box of each chunk's per-value minimum and maximum): that bound exceeded any threshold
 * from 0.5 to 32 for nearly every chunk, so promoting by bound alone filled the budget every step (promote=1: 139-188
 * rows per answer, accuracy 0.825; promote=8: over 1,000 rows, hot KV up from 11.5% to 25%, 0.925), and verifying its
 * 32 best-bounded chunks (promoted chunks ranked up to 28th) cost most of a step's recall time in scattered reads.
 * The sketch's bound is tight on low-rank keys: nearly every step it rules out every chunk, and when it does not,
 * verification reads the few it lets through. A chunk whose mass reaches the threshold is promoted whenever at most
 * {@link #SCREENED_CHUNKS} chunks pass the screen; where more pass (a step whose hot normaliser is small, as when the
 * query looks for something cold: then nearly every chunk can reach the threshold), the estimate picks which to
 * verify. Measured on needle-lm's multi-turn decoding (24 contexts × 5 questions, both modes, both tiers, every
 * chunk's true mass computed at every step): the chunks that reached the threshold ranked at most 34th by estimate
 * (with 32 verified, two promotions of 45 were lost in one run), none is lost with 48; ranked by bound instead, the
 * disk tier's sketch lost one promotion on those contexts.
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
    static final int SCREENED_CHUNKS = 48;
    private static final float LOG_MIN_MASS = (float) Math.log(MIN_MASS);
    /**
     * Slack of the exponential-skipping test in {@link #logSumExps}: a log-sum-exp may exceed its bound by the
     * rounding of the exponentials, far below this.
     */
    private static final float SKIP_MARGIN = 1e-3f;
    /**
     * How far a head's hot log normaliser may fall below the layer's last step's and the chunks verified ahead of time
     * still cover the step's screen (when it falls further, the rest are verified after the attention). Measured on
     * needle-lm's decoding (bench, 1,024 steps): a head's log normaliser fell by more than 2 from one step to the next
     * in 7% of layer 3's steps and 3% of layer 2's, and then mostly by more than 8, never in layers 0 and 1.
     */
    private static final float GUESS_MARGIN = 2f;

    private final Kernels kernels;
    private final int promote, screenedChunks;
    private final int numHeads, headSize, group;
    private final float scale;
    private final int slidingWindow;
    private final List<Promotion> since = new ArrayList<>(); // since the last prefill, in step order
    private long promotedRows;
    private final TopScores screening = new TopScores(), choosing = new TopScores();
    private final float[][] lastLogZ; // [layer][head]: the hot normalisers of the layer's last decode step, +inf before one
    private final Runnable whileAttending = this::whileAttending;
    // What the last prepare readied, for whileAttending and afterAttention.
    private int boundLayer = -1, boundChunks, boundRows;
    private ColdTier boundTier;
    private final KeySketch.Projection[] projections; // per KV head
    private final KeySketch.Scan[] scans; // per KV head
    private final boolean[] chunkBoundsDone; // per KV head: bounds and estimates hold its scan's per-chunk bounds
    // Chunks verified while the hot attention ran (ascending ids), and each query's log-sum-exp over their rows.
    private int[] aheadIds = new int[0];
    private float[] aheadSums = new float[0];
    private int ahead;
    // Scratch, grown and never shrunk: a session decodes one step at a time, and a step allocates nothing unless it promotes.
    private float[] grouped = new float[0]; // queries in KV-head order
    private float[] bounds = new float[0], estimates = new float[0], bestBound = new float[0];
    private final float[] guessedLogZ; // per head: the last step's normalisers less GUESS_MARGIN
    private float[] dots = new float[0], logits = new float[0], masses = new float[0], sums = new float[0], thresholds = new float[0];
    private int[] pending = new int[0], pendingIds = new int[0];

    /** @param slidingWindow the model's sliding attention window, 0 for none: promoted rows outside it are not attended */
    DecodeRecall(Kernels kernels, int promote, int layers, int numHeads, int numKvHeads, int headSize, float scale, int slidingWindow) {
        this.kernels = kernels;
        this.promote = promote;
        this.screenedChunks = Math.max(SCREENED_CHUNKS, promote);
        this.numHeads = numHeads;
        this.headSize = headSize;
        this.group = numHeads / numKvHeads;
        this.scale = scale;
        this.slidingWindow = slidingWindow;
        this.lastLogZ = new float[layers][numHeads];
        for (float[] z : lastLogZ) Arrays.fill(z, Float.POSITIVE_INFINITY);
        this.guessedLogZ = new float[numHeads];
        this.projections = new KeySketch.Projection[numKvHeads];
        this.scans = new KeySketch.Scan[numKvHeads];
        for (int g = 0; g < numKvHeads; g++) {
            projections[g] = new KeySketch.Projection();
            scans[g] = new KeySketch.Scan();
        }
        this.chunkBoundsDone = new boolean[numKvHeads];
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
     * Readies decode-time recall of the query rows {@code q} (post-RoPE, all heads per row) over the layer's cold
     * chunks. What it returns needs nothing from the hot attention, so the caller runs it while the hot attention
     * runs; {@link #afterAttention} must follow for the same layer and queries.
     *
     * @return the work to run while the hot attention runs, on one thread; null when the layer has nothing cold
     */
    Runnable prepare(int layer, float[] q, int rows, ColdTier cold) {
        int chunks = cold.rowCount(layer) == 0 ? 0 : cold.sketch().chunks(layer), perKvHead = rows * group;
        boundLayer = layer;
        boundChunks = chunks;
        boundRows = rows;
        boundTier = cold;
        ahead = 0;
        Arrays.fill(chunkBoundsDone, false);
        if (chunks == 0) return null;
        groupQueries(q, rows);
        if (bounds.length < scans.length * perKvHead * chunks) {
            bounds = new float[scans.length * perKvHead * chunks];
            estimates = new float[bounds.length];
        }
        return whileAttending;
    }

    /**
     * The sketch's scan of every cold chunk for each KV head's queries; then, for a decode step, verification ahead of
     * time: the chunks the screen would pass if the hot normalisers were the layer's last step's less
     * {@link #GUESS_MARGIN} are verified now, against those guessed normalisers, so that {@link #afterAttention} finds
     * their log-sum-exps done wherever the real ones are no lower. The calling thread would otherwise only wait for
     * the pool that runs the hot attention.
     */
    private void whileAttending() {
        KeySketch sketch = boundTier.sketch();
        int perKvHead = boundRows * group;
        for (int g = 0; g < scans.length; g++) {
            sketch.project(boundLayer, g, grouped, g * perKvHead * headSize, perKvHead, projections[g]);
            sketch.scan(boundLayer, g, projections[g], scans[g]);
        }
        float[] last = lastLogZ[boundLayer];
        if (boundRows != 1 || last[0] == Float.POSITIVE_INFINITY) return;
        for (int h = 0; h < numHeads; h++) guessedLogZ[h] = last[h] - GUESS_MARGIN;
        if (!boundMasses(boundLayer, 1, guessedLogZ, boundChunks)) return;
        ahead = screening.select(bestBound, boundChunks, screenedChunks, -Float.MAX_VALUE);
        if (aheadIds.length < ahead) aheadIds = new int[screenedChunks];
        System.arraycopy(screening.ids(), 0, aheadIds, 0, ahead);
        if (aheadSums.length < ahead * numHeads) aheadSums = new float[screenedChunks * numHeads];
        logSumExps(boundLayer, 1, aheadIds, ahead, skipThresholds(guessedLogZ, numHeads), aheadSums);
    }

    /**
     * After the query rows {@code q} (the first at position {@code step}) attended over the layer's hot {@code cache}
     * into {@code out}, and {@link #prepare}'s work ran: promotes the cold chunks they would attend to into the cache
     * and merges the promoted rows' share of attention into {@code out}.
     *
     * @param logZ per query (row * heads + head), the log of its softmax normaliser over the hot rows; updated to
     *     include the promoted rows
     * @throws IllegalStateException if {@link #prepare} did not run for this layer since the last call
     */
    void afterAttention(int step, int layer, float[] q, int rows, float[] logZ, float[] out, LayerKvCache cache, ColdTier cold) {
        if (boundLayer != layer) throw new IllegalStateException("prepare and its work must run for layer " + layer + " first");
        boundLayer = -1;
        if (rows == 1) System.arraycopy(logZ, 0, lastLogZ[layer], 0, numHeads);
        int chunks = boundChunks;
        if (chunks == 0 || !boundMasses(layer, rows, logZ, chunks)) return;
        int screened = screening.select(bestBound, chunks, screenedChunks, -Float.MAX_VALUE);
        if (screened == 0) return;
        verifyMasses(layer, rows, logZ, screened);
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
     * left for verification. Nearly every step, no chunk can reach the threshold by a KV head's largest bound with a
     * whole chunk's rows, and the chunks are not looked at one by one. A KV head's per-chunk bounds need no
     * normaliser, so they are taken once a step, whichever call needs them first.
     *
     * @return whether any chunk reaches the threshold by its bound; if not, {@code bestBound} is not written
     */
    private boolean boundMasses(int layer, int rows, float[] logZ, int chunks) {
        KeySketch sketch = boundTier.sketch();
        int perKvHead = rows * group, chunk = sketch.chunkSize();
        float logChunk = (float) Math.log(chunk);
        boolean any = false;
        for (int g = 0; g < scans.length; g++) {
            KeySketch.Scan scan = scans[g];
            int at = g * perKvHead * chunks;
            boolean reaches = false;
            for (int t = 0; t < perKvHead; t++) reaches |= logChunk + scale * scan.maxBound(t) - logZ[queryIndex(g, t)] >= LOG_MIN_MASS;
            if (!reaches) continue;
            if (!any) {
                if (bestBound.length < chunks) bestBound = new float[chunks];
                Arrays.fill(bestBound, 0, chunks, Float.NEGATIVE_INFINITY);
                any = true;
            }
            if (!chunkBoundsDone[g]) sketch.chunkBounds(scan, bounds, estimates, at);
            chunkBoundsDone[g] = true;
            for (int c = 0; c < chunks; c++) {
                float logRows = logOf(sketch.coldRows(layer, c), chunk, logChunk);
                for (int t = 0; t < perKvHead; t++) {
                    float z = logZ[queryIndex(g, t)];
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
     * no query's can reach {@link #MIN_MASS}: from the log-sum-exps verified ahead of time where the chunk was, the
     * rest now.
     */
    private void verifyMasses(int layer, int rows, float[] logZ, int screened) {
        int queries = rows * numHeads, missing = 0;
        int[] ids = screening.ids();
        // a query the guess let skip its exponentials is skipped by the real normaliser too, if that is no lower
        for (int h = 0; h < numHeads && ahead > 0; h++) if (logZ[h] < guessedLogZ[h]) ahead = 0;
        if (masses.length < screened) {
            masses = new float[screenedChunks];
            pending = new int[screenedChunks];
            pendingIds = new int[screenedChunks];
        }
        for (int s = 0, a = 0; s < screened; s++) { // both ascending
            while (a < ahead && aheadIds[a] < ids[s]) a++;
            if (a < ahead && aheadIds[a] == ids[s]) {
                masses[s] = largestMass(aheadSums, a * queries, logZ, queries);
            } else {
                pending[missing] = s;
                pendingIds[missing++] = ids[s];
            }
        }
        if (missing == 0) return;
        if (sums.length < missing * queries) sums = new float[screenedChunks * queries];
        logSumExps(layer, rows, pendingIds, missing, skipThresholds(logZ, queries), sums);
        for (int m = 0; m < missing; m++) masses[pending[m]] = largestMass(sums, m * queries, logZ, queries);
    }

    /** Per query, the log-sum-exp below which a chunk's mass cannot reach {@link #MIN_MASS} given its normaliser. */
    private float[] skipThresholds(float[] logZ, int queries) {
        if (thresholds.length < queries) thresholds = new float[queries];
        for (int i = 0; i < queries; i++) thresholds[i] = logZ[i] + LOG_MIN_MASS - SKIP_MARGIN;
        return thresholds;
    }

    private static float largestMass(float[] logSums, int off, float[] logZ, int queries) {
        float mass = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < queries; i++) mass = Math.max(mass, logSums[off + i] - logZ[i]);
        return mass;
    }

    /**
     * Per chunk {@code chunkIds[s]} (ascending) of the layer and query i (row * heads + head), the log-sum-exp of
     * scale · q·k over the chunk's cold rows into {@code out[s * queries + i]}. Logits come from the Q8 codes where the
     * tier keeps them (code dot query, times the row's scale: the dequantized keys a promotion would bring back), each
     * KV head's queries against a chunk's rows in one kernel call. A log-sum-exp is at most the largest logit plus
     * log(rows), so a query whose sum cannot reach {@code skipBelow[i]} gets negative infinity without its
     * exponentials: nearly all, since promotions are rare.
     */
    private void logSumExps(int layer, int rows, int[] chunkIds, int count, float[] skipBelow, float[] out) {
        ColdTier.ChunkKeys keys = boundTier.chunkKeys(layer, chunkIds, count);
        int perKvHead = rows * group, kvHeads = numHeads / group, queries = rows * numHeads, chunk = boundTier.sketch().chunkSize();
        float logChunk = (float) Math.log(chunk);
        for (int s = 0; s < count; s++) {
            int from = keys.from(s), n = keys.to(s) - from;
            if (dots.length < perKvHead * n) dots = new float[perKvHead * n];
            if (logits.length < n) logits = new float[n];
            float logN = logOf(n, chunk, logChunk);
            Arrays.fill(out, s * queries, (s + 1) * queries, Float.NEGATIVE_INFINITY);
            for (int g = 0; g < kvHeads && n > 0; g++) {
                kernels.dotQ8Rows(grouped, g * perKvHead * headSize, perKvHead, keys.codes(), from * keys.codeStride() + g * headSize,
                        keys.codeStride(), n, headSize, dots, 0);
                for (int t = 0; t < perKvHead; t++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int r = 0; r < n; r++) {
                        logits[r] = scale * keys.scales()[(from + r) * keys.scaleStride() + g] * dots[t * n + r];
                        max = Math.max(max, logits[r]);
                    }
                    int i = queryIndex(g, t);
                    if (max + logN < skipBelow[i]) continue;
                    out[s * queries + i] = kernels.softmax(logits, 0, n);
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
