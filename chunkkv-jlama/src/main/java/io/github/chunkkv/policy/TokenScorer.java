package io.github.chunkkv.policy;

/** Gives every position outside the recent window a score: how much it is worth keeping. */
public interface TokenScorer {
    /**
     * How many of the most recent query rows must be captured during prefill for {@link LayerView#attention()}, for a
     * cache of {@code cacheLength} positions; 0 (the default) for scorers that never read attention.
     */
    default int observedQueries(int cacheLength) {
        return 0;
    }

    /** One score per position of {@code [0, layer.cacheLength() - window)}; higher means more worth keeping. */
    float[] score(LayerView layer);
}
