package io.github.chunkkv.policy;

/**
 * What a layer saw during prefill: for each query head, the sum over the observed query rows of their
 * causal softmax attention over the {@code cacheLength} cached positions.
 *
 * @param columnSums {@code [numHeads * cacheLength]}, head-major
 * @param rows how many query rows were summed: the most recent cache rows, or the rows of a probe that followed the cache
 * @param numHeads query heads, a multiple of {@code numKvHeads}
 * @param numKvHeads key-value heads (fewer than {@code numHeads} under grouped-query attention)
 * @param cacheLength cached positions each head's sums cover
 * @param rowsFollowCache true when the rows followed the cache, so that every row saw every position
 */
public record AttentionObservation(float[] columnSums, int rows, int numHeads, int numKvHeads, int cacheLength, boolean rowsFollowCache) {
    /**
     * Checks that {@code columnSums} holds one value per head and cached position.
     * @throws IllegalArgumentException when {@code columnSums} is shorter than {@code numHeads * cacheLength}
     */
    public AttentionObservation {
        if (columnSums.length < numHeads * cacheLength) {
            throw new IllegalArgumentException("columnSums must hold numHeads * cacheLength = " + numHeads * cacheLength + " values");
        }
    }

    /** An observation of the most recent {@code rows} cache rows. */
    public AttentionObservation(float[] columnSums, int rows, int numHeads, int numKvHeads, int cacheLength) {
        this(columnSums, rows, numHeads, numKvHeads, cacheLength, false);
    }

    /** How many of the observed rows could see {@code position}: causal rows at the end of the cache see it from its own slot on. */
    public int rowsSeeing(int position) {
        return rowsFollowCache ? rows : Math.min(rows, cacheLength - position);
    }

    /** The same observation restricted to the cache positions [from, cacheLength), renumbered from 0. */
    public AttentionObservation tail(int from) {
        if (from < 0 || from > cacheLength) throw new IllegalArgumentException("from must be in [0, " + cacheLength + "], got " + from);
        int len = cacheLength - from;
        float[] sums = new float[numHeads * len];
        for (int h = 0; h < numHeads; h++) System.arraycopy(columnSums, h * cacheLength + from, sums, h * len, len);
        return new AttentionObservation(sums, rowsFollowCache ? rows : Math.min(rows, len), numHeads, numKvHeads, len, rowsFollowCache);
    }
}
