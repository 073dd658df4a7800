package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decode-time recall (Quest's query-aware chunk selection over ArkVale-style recallable chunks): before a decode
 * step's attention, each layer asks whether the step's query would attend to a cold chunk, and promotes such chunks
 * into the hot cache so the step attends over hot + promoted rows. The question that scored the last re-selection
 * is not the only reader of the cache: while an answer is decoded, later layers look up rows (the next value token,
 * the end of a span) that the question never attended to.
 *
 * <p>Rule, per layer and step, with Z_h the softmax normaliser of query head h over the hot rows. A chunk's
 * <em>mass</em> for head h is its rows' {@code sum exp(scale · q_h·k) / Z_h}: the attention it would draw relative to
 * everything hot. A chunk is promoted when its mass reaches {@link #MIN_MASS} for some head; at most {@code promote}
 * chunks, the heaviest. Finding them takes two passes:
 * <ol>
 *   <li>screening by Quest's bound: {@code n_c · exp(scale · B_c) / Z_h}, from the chunk summaries alone, bounds the
 *       mass from above, so chunks below the threshold are skipped without reading a row; of the rest, the
 *       {@link #SCREENED_CHUNKS} with the highest bound go on;</li>
 *   <li>verification: their cold keys (dequantized, as a promotion would bring them back) give the true mass.</li>
 * </ol>
 * Measured on needle-lm (head size 128, chunks of 10; multi-turn eval, 8 contexts × 5 questions, both modes): the
 * bound alone exceeds any threshold from 0.5 to 32 for nearly every chunk, so promoting by bound alone fills the
 * budget every step (promote=1: 139-188 rows per answer, accuracy 0.825; promote=8: over 1,000 rows, hot KV up from
 * 11.5% to 25%, 0.925). Verifying the screened chunks promotes 1-5 rows per answer at 0.975; screening 16 chunks
 * gave 0.95, 32 and 64 0.975, and thresholds 0.1 and 0.5 the same; on 24 contexts (both modes) the 83 chunks
 * promoted ranked up to 28th by bound (35 of them first), so screening fewer than 32 would change answers. A
 * threshold relative to the hot rows, rather than Quest's fixed top-k, promotes nothing while the hot set holds what
 * the query looks for, so memory grows only when a step needs a cold row, and by at most {@code promote × chunk} rows
 * per layer and step. Promoted rows stay hot until the next re-selection (a later prefill, or the decoding cap),
 * unless the steps that promoted them are rewound: then they go back to the cold tier, so a rewound session is the
 * one it was.
 */
final class DecodeRecall {
    /** Rows one decode step promoted into one layer. */
    private record Promotion(int step, int layer, int[] positions) {}

    /** Least attention a chunk would draw, relative to all hot rows together, for it to be promoted. */
    static final float MIN_MASS = 0.5f;
    /** Chunks per layer and step whose true mass is computed (more when {@code promote} is larger). */
    static final int SCREENED_CHUNKS = 32;
    private static final float LOG_MIN_MASS = (float) Math.log(MIN_MASS);

    private final Kernels kernels;
    private final int promote;
    private final int numHeads, headSize, group;
    private final float scale;
    private final List<Promotion> since = new ArrayList<>(); // since the last prefill, in step order
    private long promotedRows;
    /** The screened chunks' keys, dequantized; reused across steps (a session decodes one step at a time). */
    private float[] keyScratch = new float[0];

    DecodeRecall(Kernels kernels, int promote, int numHeads, int numKvHeads, int headSize, float scale) {
        this.kernels = kernels;
        this.promote = promote;
        this.numHeads = numHeads;
        this.headSize = headSize;
        this.group = numHeads / numKvHeads;
        this.scale = scale;
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
     * Promotes the layer's cold chunks the query rows {@code q} (post-RoPE, all heads per row) would attend to into
     * {@code cache}, before those rows are appended and attend; {@code step} is the first row's position.
     */
    void beforeAttention(int step, int layer, float[] q, int rows, LayerKvCache cache, ColdTier cold) {
        ColdChunkSummaries summaries = cold.summaries();
        int chunks = summaries.chunks(layer);
        if (chunks == 0 || cold.rowCount(layer) == 0) return;
        int queries = rows * numHeads;
        float[] logZ = new float[queries];
        float[] bound = new float[chunks];
        float[] bestBound = new float[chunks];
        Arrays.fill(bestBound, Float.NEGATIVE_INFINITY);
        float[] logRows = new float[chunks];
        for (int c = 0; c < chunks; c++) {
            int n = summaries.coldRows(layer, c);
            logRows[c] = n == 0 ? Float.NEGATIVE_INFINITY : (float) Math.log(n);
        }
        float[] hotKeys = cache.keys(); // once per step: a BF16 or Q8 cache decodes a copy on every call
        // Heads in turn, not in parallel: a decode step has a few query rows, and handing a few microseconds of work
        // per head to the pool costs more than the work (measured on needle-lm: screening took twice as long).
        for (int i = 0; i < queries; i++) {
            int qOff = i * headSize, kvHead = i % numHeads / group;
            logZ[i] = hotLogNormaliser(q, qOff, kvHead, hotKeys, cache.size(), cache.rowStride());
            summaries.upperBounds(layer, q, qOff, kvHead, bound);
            for (int c = 0; c < chunks; c++) bestBound[c] = Math.max(bestBound[c], logRows[c] + scale * bound[c] - logZ[i]);
        }
        int[] screened = heaviest(bestBound, chunks, Math.max(SCREENED_CHUNKS, promote));
        if (screened.length == 0) return;
        float[] mass = logMasses(q, queries, logZ, cold.chunkRows(layer, screened), summaries.chunkSize(), chunks);
        int[] chosen = heaviest(mass, chunks, promote);
        if (chosen.length == 0) return;
        int[] positions = cold.promoteChunks(layer, chosen, cache);
        promotedRows += positions.length;
        since.add(new Promotion(step, layer, positions));
    }

    /** log Z: log-sum-exp of one query head's scaled logits over the hot rows. */
    private float hotLogNormaliser(float[] q, int qOff, int kvHead, float[] keys, int hot, int stride) {
        int kvOff = kvHead * headSize;
        if (hot == 0) return Float.NEGATIVE_INFINITY;
        float[] logits = new float[hot];
        float max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s < hot; s++) max = Math.max(max, logits[s] = scale * kernels.dot(q, qOff, keys, s * stride + kvOff, headSize));
        double z = 0;
        for (float logit : logits) z += Math.exp(logit - max);
        return max + (float) Math.log(z);
    }

    /**
     * Per chunk id, log of its true mass for the query head and row where it is largest (-inf for ids not among the
     * rows), over the dequantized keys a promotion would bring back.
     */
    private float[] logMasses(float[] q, int queries, float[] logZ, ColdRows candidates, int chunk, int chunks) {
        int kvHeads = numHeads / group, rowStride = kvHeads * headSize, n = candidates.rows();
        if (keyScratch.length < n * rowStride) keyScratch = new float[n * rowStride];
        for (int r = 0; r < n; r++) {
            kernels.dequantizeQ8(candidates.codes(), r * 2 * rowStride, candidates.scales(), r * 2 * kvHeads, kvHeads, headSize, keyScratch,
                    r * rowStride);
        }
        float[] mass = new float[chunks];
        Arrays.fill(mass, Float.NEGATIVE_INFINITY);
        double[] sums = new double[chunks];
        for (int i = 0; i < queries; i++) {
            int kvOff = i % numHeads / group * headSize;
            Arrays.fill(sums, 0);
            for (int r = 0; r < n; r++) {
                sums[candidates.positions()[r] / chunk] += Math.exp(scale * kernels.dot(q, i * headSize, keyScratch, r * rowStride + kvOff, headSize) - logZ[i]);
            }
            for (int c = 0; c < chunks; c++) if (sums[c] > 0) mass[c] = Math.max(mass[c], (float) Math.log(sums[c]));
        }
        return mass;
    }

    /** Of chunk ids [0, chunks), the at most {@code k} whose {@code logMass} is highest and reaches the threshold, ascending. */
    private int[] heaviest(float[] logMass, int chunks, int k) {
        int[] passing = new int[chunks];
        int count = 0;
        for (int c = 0; c < chunks; c++) if (logMass[c] >= LOG_MIN_MASS) passing[count++] = c;
        if (count <= k) return Arrays.copyOf(passing, count);
        float[] score = new float[count];
        for (int i = 0; i < count; i++) score[i] = logMass[passing[i]];
        int[] top = kernels.topK(score, count, k); // ascending indices into passing, so the ids stay ascending
        for (int i = 0; i < top.length; i++) top[i] = passing[top[i]];
        return top;
    }
}
