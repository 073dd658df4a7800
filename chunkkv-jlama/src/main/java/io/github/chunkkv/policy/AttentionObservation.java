package io.github.chunkkv.policy;

/**
 * What a layer saw during prefill: for each query head, the sum over the observed query rows of their
 * causal softmax attention over the {@code cacheLength} cached positions.
 *
 * @param columnSums {@code [numHeads * cacheLength]}, head-major
 * @param rows how many query rows (the most recent ones) were summed
 */
public record AttentionObservation(float[] columnSums, int rows, int numHeads, int numKvHeads, int cacheLength) {
    public AttentionObservation {
        if (columnSums.length < numHeads * cacheLength) {
            throw new IllegalArgumentException("columnSums must hold numHeads * cacheLength = " + numHeads * cacheLength + " values");
        }
    }

    /** The same observation restricted to the cache positions [from, cacheLength), renumbered from 0. */
    public AttentionObservation tail(int from) {
        if (from < 0 || from > cacheLength) throw new IllegalArgumentException("from must be in [0, " + cacheLength + "], got " + from);
        int len = cacheLength - from;
        float[] sums = new float[numHeads * len];
        for (int h = 0; h < numHeads; h++) System.arraycopy(columnSums, h * cacheLength + from, sums, h * len, len);
        return new AttentionObservation(sums, Math.min(rows, len), numHeads, numKvHeads, len);
    }
}
