package io.github.chunkkv.jlama;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.policy.CompressionPolicy;
import io.github.chunkkv.policy.LayerView;
import io.github.chunkkv.policy.PolicyRegistry;
import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;

/**
 * The decoding-phase cap: when a layer holds more than {@code cap + slack} rows, every layer is re-selected by the
 * session's own policy sized as a budget of {@code cap}: {@code cap} rows a layer, or on average for PyramidKV, whose
 * lower layers keep more (each layer's bound is then what its re-selection kept, plus the slack). The slack amortises
 * re-selection over {@code slack + 1} steps.
 *
 * <p>Scoring needs observed queries, and decoding has no prompt window: each selecting layer keeps the post-RoPE
 * queries of its last {@code window} rows (prefill or decode) in a small ring, about {@code window × query width}
 * floats a layer. Those rows are always hot (every selector keeps the most recent {@code window} positions), so they
 * are the last slots of the cache, as the window scorers expect.
 */
final class DecodeCap {
    private final CompressionPolicy policy;
    private final int cap, slack;
    private final int[] selected; // rows each layer kept at the last re-selection
    private final int window, qLength, numHeads, numKvHeads, headSize;
    private final float[][] ring;
    private final int[] count, next;

    DecodeCap(ChunkKvConfig config, int layers, int numHeads, int numKvHeads, int headSize) {
        this.policy = PolicyRegistry.create(config.withBudget(config.cap()), layers);
        this.cap = config.cap();
        this.slack = config.slack();
        this.selected = new int[layers];
        this.window = config.window();
        this.numHeads = numHeads;
        this.numKvHeads = numKvHeads;
        this.headSize = headSize;
        this.qLength = numHeads * headSize;
        this.ring = new float[layers][];
        this.count = new int[layers];
        this.next = new int[layers];
        for (int l = 0; l < layers; l++) {
            if (policy.indexSource(l) == l) ring[l] = new float[window * qLength];
        }
    }

    /** Remembers the last {@code window} of these query rows of a selecting layer. */
    void observe(int layer, float[] q, int rows) {
        float[] r = ring[layer];
        if (r == null) return;
        for (int row = Math.max(0, rows - window); row < rows; row++) {
            System.arraycopy(q, row * qLength, r, next[layer] * qLength, qLength);
            next[layer] = (next[layer] + 1) % window;
            count[layer] = Math.min(window, count[layer] + 1);
        }
    }

    /** Forgets the observed queries (their rows were rewound). */
    void forget() {
        Arrays.fill(count, 0);
        Arrays.fill(next, 0);
    }

    /**
     * True when a layer holds more than {@code slack} rows beyond its target: {@code cap}, or what the last
     * re-selection left when that was more. A budget that varies by layer (PyramidKV's) leaves lower layers above the
     * cap; measured against the cap alone they would trigger a re-selection at every step.
     */
    boolean exceeded(LayerKvCache[] caches) {
        for (int l = 0; l < caches.length; l++) if (caches[l].size() > Math.max(cap, selected[l]) + slack) return true;
        return false;
    }

    /** Re-selects every layer down to the cap, demoting evicted rows to {@code cold} when not null; returns rows evicted. */
    long reselect(LayerKvCache[] caches, ColdTier cold, Kernels kernels, float scale) {
        int[][] keptPositions = new int[caches.length][];
        long evicted = 0;
        for (int l = 0; l < caches.length; l++) {
            LayerKvCache cache = caches[l];
            int source = policy.indexSource(l);
            int[] slots;
            if (source == l) {
                int n = cache.size(), m = Math.min(count[l], n);
                boolean scores = policy.observedQueries(l, n) > 0;
                if (scores && m == 0) return evicted; // nothing observed since a rewind: the next step scores
                slots = policy.select(l, view(l, scores ? m : 0, cache, kernels, scale));
                keptPositions[l] = cache.positionsOf(slots);
            } else {
                slots = cache.slotsOf(keptPositions[source]);
                keptPositions[l] = keptPositions[source];
            }
            evicted += cache.size() - slots.length;
            if (cold != null) cold.demote(l, cache, slots);
            cache.retain(slots);
            selected[l] = slots.length;
        }
        return evicted;
    }

    /** The layer as the policy sees it, with the ring's last {@code m} queries (oldest first) as the observed rows. */
    private LayerView view(int layer, int m, LayerKvCache cache, Kernels kernels, float scale) {
        float[] queries = new float[m * qLength];
        int oldest = (next[layer] - m + window) % window;
        for (int i = 0; i < m; i++) System.arraycopy(ring[layer], (oldest + i) % window * qLength, queries, i * qLength, qLength);
        return new LayerView(kernels, cache.keys(), cache.values(), cache.positions(), cache.rowStride(), cache.size(), 0, numHeads,
                numKvHeads, headSize, queries, m, scale);
    }
}
