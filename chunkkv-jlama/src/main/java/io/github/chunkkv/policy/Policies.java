package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;
import java.util.stream.IntStream;

/** TEMPORARY keep-all stand-in until the policy implementations land from the kernels branch. */
public final class Policies {
    private Policies() {}

    public static CompressionPolicy create(ChunkKvConfig config, int numLayers) {
        return new CompressionPolicy() {
            public ChunkKvConfig config() { return config; }
            public int observedQueries(int layer, int n) { return Math.min(n, config.window()); }
            public int indexSource(int layer) { return layer / config.reuseInterval() * config.reuseInterval(); }
            public int[] select(int layer, int n, AttentionObservation o) {
                int keep = config.usesRatio() ? (int) Math.max(config.window(), Math.round(n * config.keepRatio())) : Math.min(n, config.budget());
                keep = Math.min(n, keep);
                return IntStream.range(n - keep, n).toArray();
            }
        };
    }
}
