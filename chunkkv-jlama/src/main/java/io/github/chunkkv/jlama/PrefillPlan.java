package io.github.chunkkv.jlama;

import io.github.chunkkv.policy.CompressionPolicy;
import io.github.chunkkv.policy.LayerView;
import io.github.chunkkv.simd.Kernels;

/**
 * One prefill's compression: which query rows each layer must observe, the observed queries themselves, and the
 * per-layer compression that runs as soon as a layer has cached the whole prompt. Scoring reuses the window queries
 * already computed by the prefill, so the prompt is never run twice.
 *
 * <p>Rows kept by earlier prefills of the session can be protected: then only the rows added since (the previous
 * reply and this prompt) compete, so a keep ratio applies once to every position instead of shrinking old turns
 * again at each turn. The window still attends to the protected rows; their columns are simply not candidates.
 *
 * <p>With a probe, tokens appended after the prompt only to be observed, every scoring layer observes all the probe's
 * rows instead of the prompt's window; when a layer has cached the probe, its rows are dropped before scoring, so they
 * are never candidates, never kept and never demoted. The selectors still keep the prompt's own last {@code window}
 * rows.
 */
final class PrefillPlan {
    private final CompressionPolicy policy;
    private final Kernels kernels;
    private final int endPosition;
    private final int promptEnd;
    private final int numHeads, numKvHeads, headSize;
    private final int[] observedRows;
    private final float[][] observedQueries;
    private final int[][] keptPositions;
    private final int[] cachedBefore;
    private final int[] protectedRows;
    private final ColdTier cold;
    private long scoreNanos, selectNanos, compactNanos;

    /**
     * @param protectedRows per layer, the leading cache rows that this compression keeps unconditionally
     * @param cold where evicted rows are demoted to, or null to drop them
     * @param probeLength tokens forwarded after the prompt only to be observed (0: the prompt's own window is observed)
     */
    PrefillPlan(CompressionPolicy policy, Kernels kernels, int promptEnd, int promptLength, int probeLength, int[] cacheSizesAtEnd,
            int[] protectedRows, ColdTier cold, int numHeads, int numKvHeads, int headSize) {
        this.policy = policy;
        this.kernels = kernels;
        this.promptEnd = promptEnd;
        this.endPosition = promptEnd + probeLength;
        this.numHeads = numHeads;
        this.numKvHeads = numKvHeads;
        this.headSize = headSize;
        int layers = cacheSizesAtEnd.length;
        this.observedRows = new int[layers];
        this.observedQueries = new float[layers][];
        this.keptPositions = new int[layers][];
        this.cachedBefore = new int[layers];
        this.protectedRows = protectedRows;
        this.cold = cold;
        for (int l = 0; l < layers; l++) {
            if (policy.indexSource(l) != l) continue;
            int asked = policy.observedQueries(l, cacheSizesAtEnd[l] - protectedRows[l]);
            observedRows[l] = probeLength > 0 ? (asked > 0 ? probeLength : 0) : Math.min(promptLength, asked);
            observedQueries[l] = new float[observedRows[l] * numHeads * headSize];
        }
    }

    /** Keeps the post-RoPE queries of the rows this layer's scorer needs. */
    void observe(int layer, int startPosition, int rows, float[] q, int qLength) {
        int m = observedRows[layer];
        if (m == 0) return;
        int first = endPosition - m;
        for (int r = Math.max(0, first - startPosition); r < rows; r++) {
            System.arraycopy(q, r * qLength, observedQueries[layer], (startPosition + r - first) * qLength, qLength);
        }
    }

    boolean isLastBatch(int batchEndPosition) {
        return batchEndPosition == endPosition;
    }

    /** True for a batch of probe rows, which are observed for scoring only. */
    boolean isProbe(int batchStartPosition) {
        return batchStartPosition >= promptEnd;
    }

    /** Scores, selects and compacts one layer whose cache now holds the whole prompt (and the probe, dropped first). */
    void compress(int layer, LayerKvCache cache, float scale) {
        cache.truncateFrom(promptEnd);
        int n = cache.size();
        cachedBefore[layer] = n;
        int source = policy.indexSource(layer);
        int[] slots;
        if (source == layer) {
            int kept = protectedRows[layer];
            LayerView view = view(layer, cache, kept, scale);
            long t = System.nanoTime();
            int[] candidates = policy.select(layer, view);
            checkSlots(candidates, n - kept, layer);
            slots = withProtectedPrefix(kept, candidates);
            keptPositions[layer] = cache.positionsOf(slots);
            scoreNanos += view.attentionNanos();
            selectNanos += System.nanoTime() - t - view.attentionNanos();
        } else {
            long t = System.nanoTime();
            slots = cache.slotsOf(keptPositions[source]);
            keptPositions[layer] = keptPositions[source];
            selectNanos += System.nanoTime() - t;
        }
        long t = System.nanoTime();
        if (cold != null) cold.demote(layer, cache, slots);
        cache.retain(slots);
        compactNanos += System.nanoTime() - t;
    }

    /** The layer as its scorer sees it; the window attention is computed only if the scorer asks for it. */
    private LayerView view(int layer, LayerKvCache cache, int protectedPrefix, float scale) {
        float[] queries = observedQueries[layer];
        observedQueries[layer] = null; // the view holds them for as long as scoring needs them
        return new LayerView(kernels, cache.keys(), cache.values(), cache.positions(), cache.rowStride(), cache.size(), protectedPrefix,
                numHeads, numKvHeads, headSize, queries, observedRows[layer], endPosition > promptEnd, scale);
    }

    private static int[] withProtectedPrefix(int prefix, int[] candidates) {
        if (prefix == 0) return candidates;
        int[] slots = new int[prefix + candidates.length];
        for (int i = 0; i < prefix; i++) slots[i] = i;
        for (int i = 0; i < candidates.length; i++) slots[prefix + i] = prefix + candidates[i];
        return slots;
    }

    private static void checkSlots(int[] slots, int n, int layer) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] < 0 || slots[i] >= n || (i > 0 && slots[i] <= slots[i - 1])) {
                throw new IllegalStateException("policy returned invalid kept slots for layer " + layer + ": must be strictly ascending in [0, " + n + ")");
            }
        }
    }

    CompressionStats stats(int promptTokens, int[] keptPerLayer, long bytesBefore, long bytesAfter, long[] allocatedPerLayer,
            long prefillNanos) {
        return new CompressionStats(promptTokens, cachedBefore.length == 0 ? 0 : cachedBefore[0], keptPerLayer, bytesBefore,
                bytesAfter, allocatedPerLayer, scoreNanos, selectNanos, compactNanos, prefillNanos);
    }

    int cachedBefore(int layer) {
        return cachedBefore[layer];
    }
}
