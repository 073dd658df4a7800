package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;
import java.util.Objects;

/**
 * A policy assembled kvpress style from a scorer, a selector and a reuse schedule, plus the common rules: caches within
 * the token budget, caches the selector has nothing to choose in (with a keep ratio), and configurations that keep
 * everything, are left whole (and observe nothing).
 */
public final class ComposedPolicy implements CompressionPolicy {
    private final ChunkKvConfig config;
    private final int numLayers;
    private final TokenScorer scorer;
    private final Selector selector;
    private final ReuseSchedule schedule;

    /**
     * A policy for a model of {@code numLayers} layers (at least 1).
     *
     * @param scorer null for selectors that ignore scores
     * @throws IllegalArgumentException when {@code numLayers} is below 1
     */
    public ComposedPolicy(ChunkKvConfig config, int numLayers, TokenScorer scorer, Selector selector, ReuseSchedule schedule) {
        if (numLayers < 1) throw new IllegalArgumentException("numLayers must be >= 1, got " + numLayers);
        this.config = Objects.requireNonNull(config, "config");
        this.numLayers = numLayers;
        this.scorer = scorer;
        this.selector = Objects.requireNonNull(selector, "selector");
        this.schedule = Objects.requireNonNull(schedule, "schedule");
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
    public int[] select(int layer, LayerView view) {
        checkLayer(layer);
        int n = Objects.requireNonNull(view, "view").cacheLength();
        if (keepsAll(n)) return Slots.range(0, n);
        return selector.select(scorer == null ? null : scorer.score(view), n, layer);
    }

    /** A token budget is a bound, so it alone decides; a ratio leaves caches the selector cannot choose in whole. */
    private boolean keepsAll(int cacheLength) {
        if (config.keepsEverything()) return true;
        return config.usesRatio() ? cacheLength <= selector.keepsWholeUpTo() : cacheLength <= config.budget();
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= numLayers) throw new IllegalArgumentException("layer must be in [0, " + numLayers + "), got " + layer);
    }
}
