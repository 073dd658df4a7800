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
}
