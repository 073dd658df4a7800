package io.github.chunkkv.policy;

import io.github.chunkkv.simd.Kernels;

/**
 * One layer's cache as a scorer sees it after prefill: the candidate rows {@code [0, cacheLength)} with their keys,
 * values and logical positions, and the attention the observed query rows paid to them.
 *
 * <p>The candidates may be a suffix of the layer's cache (rows that earlier turns kept and this compression must
 * keep are not candidates); slots here are numbered from the first candidate. The attention is computed on the first
 * call to {@link #attention()} and only then, so a scorer that reads keys alone costs no softmax; the queries were
 * captured during prefill, so the prompt is never run twice. Not thread-safe: one view serves one layer's selection.
 */
public final class LayerView {
    private final Kernels kernels;
    private final float[] keys, values;
    private final int[] positions;
    private final int firstRow, cacheRows, rowStride;
    private final int numHeads, numKvHeads, headSize;
    private final float[] queries;
    private final int observedRows;
    private final boolean queriesFollowCache;
    private final float scale;
    private AttentionObservation attention;
    private long attentionNanos;

    /**
     * A view whose observed query rows are the last {@code observedRows} cache rows.
     *
     * @param keys cache rows in Jlama's layout: row {@code s} holds every KV head, head {@code g} at
     *     {@code s * rowStride + g * headSize}; rows {@code [0, cacheRows)} are the layer's whole cache
     * @param positions logical (RoPE) position of every cache row
     * @param firstRow the first candidate row; earlier rows are attended to but not scored
     * @param queries the post-RoPE queries of the last {@code observedRows} cache rows, all query heads per row
     * @param scale the attention scale (1 / sqrt(headSize))
     */
    public LayerView(Kernels kernels, float[] keys, float[] values, int[] positions, int rowStride, int cacheRows, int firstRow,
            int numHeads, int numKvHeads, int headSize, float[] queries, int observedRows, float scale) {
        this(kernels, keys, values, positions, rowStride, cacheRows, firstRow, numHeads, numKvHeads, headSize, queries, observedRows,
                false, scale);
    }

    /**
     * As above, except that with {@code queriesFollowCache} the observed query rows are not cache rows but follow the
     * cache (a probe appended after it and dropped again): each of them sees every cache row.
     */
    public LayerView(Kernels kernels, float[] keys, float[] values, int[] positions, int rowStride, int cacheRows, int firstRow,
            int numHeads, int numKvHeads, int headSize, float[] queries, int observedRows, boolean queriesFollowCache, float scale) {
        if (numKvHeads < 1 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numHeads (" + numHeads + ") must be a positive multiple of numKvHeads (" + numKvHeads + ")");
        }
        if (headSize < 1 || rowStride < numKvHeads * headSize) {
            throw new IllegalArgumentException("rowStride must be >= numKvHeads * headSize = " + numKvHeads * headSize + ", got " + rowStride);
        }
        if (cacheRows < 0 || keys.length < (long) cacheRows * rowStride || values.length < (long) cacheRows * rowStride
                || positions.length < cacheRows) {
            throw new IllegalArgumentException("keys, values and positions must hold cacheRows = " + cacheRows + " rows");
        }
        if (firstRow < 0 || firstRow > cacheRows) throw new IllegalArgumentException("firstRow must be in [0, " + cacheRows + "], got " + firstRow);
        int maxRows = queriesFollowCache ? Integer.MAX_VALUE / (numHeads * headSize) : cacheRows;
        if (observedRows < 0 || observedRows > maxRows || queries.length < (long) observedRows * numHeads * headSize) {
            throw new IllegalArgumentException("observedRows must be in [0, " + maxRows + "] with numHeads * headSize queries each, got "
                    + observedRows);
        }
        this.kernels = kernels;
        this.keys = keys;
        this.values = values;
        this.positions = positions;
        this.rowStride = rowStride;
        this.cacheRows = cacheRows;
        this.firstRow = firstRow;
        this.numHeads = numHeads;
        this.numKvHeads = numKvHeads;
        this.headSize = headSize;
        this.queries = queries;
        this.observedRows = observedRows;
        this.queriesFollowCache = queriesFollowCache;
        this.scale = scale;
    }

    /** Number of candidate rows. */
    public int cacheLength() {
        return cacheRows - firstRow;
    }

    /** Query heads per row of the captured queries; a multiple of {@link #numKvHeads()}. */
    public int numHeads() {
        return numHeads;
    }

    /** Key-value heads per cache row (fewer than {@link #numHeads()} under grouped-query attention). */
    public int numKvHeads() {
        return numKvHeads;
    }

    /** Values per head in a key, value or query row. */
    public int headSize() {
        return headSize;
    }

    /**
     * How many query rows were captured: the most recent cache rows' (what the policy asked for, at most the prompt), or
     * every row of a probe that followed the cache.
     */
    public int observedRows() {
        return observedRows;
    }

    /** The backing key rows; read candidate {@code slot}'s KV head {@code g} at {@link #offset(int, int)}. */
    public float[] keys() {
        return keys;
    }

    /** The backing value rows, laid out as {@link #keys()}. */
    public float[] values() {
        return values;
    }

    /** Offset of KV head {@code kvHead} of candidate {@code slot} in {@link #keys()} and {@link #values()}. */
    public int offset(int slot, int kvHead) {
        return (firstRow + slot) * rowStride + kvHead * headSize;
    }

    /** Logical (RoPE) position of candidate {@code slot}. */
    public int position(int slot) {
        return positions[firstRow + slot];
    }

    /**
     * Per query head, the causal float32 softmax attention of the observed rows summed over those rows, restricted to
     * the candidates (query rows that follow the cache see all of it). Computed once, on the first call.
     *
     * @throws IllegalStateException when no query rows were observed (the scorer did not ask for any)
     */
    public AttentionObservation attention() {
        if (attention != null) return attention;
        if (observedRows == 0) {
            throw new IllegalStateException("no query rows of this layer were observed: a scorer that reads attention must ask for them"
                    + " in observedQueries");
        }
        long start = System.nanoTime();
        float[] sums = new float[numHeads * cacheRows];
        int firstQuerySlot = queriesFollowCache ? cacheRows : cacheRows - observedRows;
        kernels.windowColumnSums(queries, observedRows, firstQuerySlot, keys, rowStride, cacheRows, numHeads, numKvHeads,
                headSize, scale, sums);
        AttentionObservation whole = new AttentionObservation(sums, observedRows, numHeads, numKvHeads, cacheRows, queriesFollowCache);
        attention = firstRow == 0 ? whole : whole.tail(firstRow);
        attentionNanos = System.nanoTime() - start;
        return attention;
    }

    /** Time {@link #attention()} took; 0 until it has run. */
    public long attentionNanos() {
        return attentionNanos;
    }
}
