package io.github.chunkkv.policy;

/** Gives every position outside the recent window a score: how much the layer's attention says it matters. */
public interface TokenScorer {
    /** How many of the most recent query rows the scorer needs observed for a cache of {@code cacheLength} positions. */
    int observedQueries(int cacheLength);

    /** One score per position of {@code [0, cacheLength - window)}; higher means more worth keeping. */
    float[] score(AttentionObservation observation);
}
