package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;

/**
 * Decides, after each prefill, which cached positions every layer keeps.
 *
 * <p>A policy is a scorer (what a position is worth), a selector (which positions to keep given the scores)
 * and a layer schedule (which layers select and which reuse another layer's indices), as in kvpress.
 * Implementations are immutable and thread-safe.
 */
public interface CompressionPolicy {
    /** The configuration this policy was made from (its spec names the policy and every parameter). */
    ChunkKvConfig config();

    /** How many of the most recent query rows of {@code layer} must be observed; 0 if the layer needs no attention. */
    int observedQueries(int layer, int cacheLength);

    /** The layer whose kept indices {@code layer} reuses; {@code layer} itself when it selects its own. */
    int indexSource(int layer);

    /**
     * Kept slots of a selecting layer, strictly ascending, within {@code [0, view.cacheLength())}.
     *
     * @param view the layer's candidate rows, with the query rows {@link #observedQueries} asked for
     */
    int[] select(int layer, LayerView view);
}
