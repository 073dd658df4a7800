package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;

/** How many positions outside the window each layer keeps (token-level selectors). */
@FunctionalInterface
public interface LayerBudget {
    /** Positions kept outside the window by {@code layer} of a cache of {@code n > window} positions. */
    int keptOutsideWindow(int layer, int n);

    /** The same count for every layer: {@link ChunkKvConfig#keptOutsideWindow(int)}. */
    static LayerBudget uniform(ChunkKvConfig config) {
        return (layer, n) -> config.keptOutsideWindow(n);
    }
}
