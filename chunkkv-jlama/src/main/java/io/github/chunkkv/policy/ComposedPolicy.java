package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;

/**
 * A policy assembled kvpress style from a scorer, a selector and a reuse schedule, plus the common rules: caches of
 * at most {@code keepAllUpTo} positions, caches within the token budget, and configurations that keep everything,
 * are left whole (and observe nothing).
 */
public final class ComposedPolicy implements CompressionPolicy {
    private final ChunkKvConfig config;
    private final int numLayers;
    private final TokenScorer scorer;
    private final Selector selector;
    private final ReuseSchedule schedule;
    private final int keepAllUpTo;

    /** @param scorer null for selectors that need no attention (observedQueries is then 0) */
    public ComposedPolicy(ChunkKvConfig config, int numLayers, TokenScorer scorer, Selector selector, ReuseSchedule schedule,
            int keepAllUpTo) {
        if (numLayers < 1) throw new IllegalArgumentException("numLayers must be >= 1, got " + numLayers);
        this.config = config;
        this.numLayers = numLayers;
        this.scorer = scorer;
        this.selector = selector;
        this.schedule = schedule;
        this.keepAllUpTo = keepAllUpTo;
    }

    @Override
    public ChunkKvConfig config() {
        return config;
    }

    @Override
    public int observedQueries(int layer, int cacheLength) {
        checkLayer(layer);
        if (scorer == null || keepsAll(cacheLength) || !schedule.selects(layer)) return 0;
        return scorer.observedQueries(cacheLength);
    }

    @Override
    public int indexSource(int layer) {
        checkLayer(layer);
        return schedule.indexSource(layer);
    }

    @Override
    public int[] select(int layer, int cacheLength, AttentionObservation observation) {
        checkLayer(layer);
        if (cacheLength < 0) throw new IllegalArgumentException("cacheLength must be >= 0, got " + cacheLength);
        if (keepsAll(cacheLength)) return Slots.range(0, cacheLength);
        float[] scores = null;
        if (scorer != null) {
            if (observation == null || observation.cacheLength() != cacheLength) {
                throw new IllegalArgumentException("observation must cover cacheLength = " + cacheLength + " positions, got "
                        + (observation == null ? "none" : observation.cacheLength()));
            }
            scores = scorer.score(observation);
        }
        return selector.select(scores, cacheLength, layer);
    }

    private boolean keepsAll(int cacheLength) {
        return config.keepsEverything() || cacheLength <= keepAllUpTo || (!config.usesRatio() && cacheLength <= config.budget());
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= numLayers) throw new IllegalArgumentException("layer must be in [0, " + numLayers + "), got " + layer);
    }
}
