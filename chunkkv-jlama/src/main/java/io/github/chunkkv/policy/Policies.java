package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;
import java.util.Objects;

/**
 * The built-in policies as scorer × selector × reuse schedule. Caches no longer than the window (window + one chunk
 * for ChunkKV) are kept whole; every policy honours the reuse interval.
 */
public final class Policies {
    private Policies() {}

    /**
     * The policy {@code config} names, for a model of {@code numLayers} layers.
     * <ul>
     *   <li>FULL: keeps everything, observes nothing.</li>
     *   <li>CHUNKKV: window scores × top chunks.</li>
     *   <li>SNAPKV: window scores × top tokens. Original SnapKV selects per head; here one index list per layer is
     *       selected on the head-summed score, as every policy of this cache shares one list across heads.</li>
     *   <li>H2O: accumulated attention over the whole prompt × top tokens.</li>
     *   <li>STREAMINGLLM: attention sinks + most recent tokens.</li>
     *   <li>PYRAMIDKV: window scores × top tokens with {@link PyramidBudget} per-layer budgets.</li>
     *   <li>RANDOM: seeded uniform tokens.</li>
     * </ul>
     */
    public static CompressionPolicy create(ChunkKvConfig config, int numLayers) {
        Objects.requireNonNull(config, "config");
        Kernels kernels = Kernels.preferred();
        int window = config.window();
        ReuseSchedule reuse = new ReuseSchedule(config.reuseInterval());
        LayerBudget uniform = LayerBudget.uniform(config);
        TokenScorer windowScores = new WindowAttentionScorer(kernels, window, config.poolingKernel());
        return switch (config.policy()) {
            case FULL -> new ComposedPolicy(config, numLayers, null, Selector.keepAll(), reuse, Integer.MAX_VALUE);
            case CHUNKKV -> new ComposedPolicy(config, numLayers, windowScores, new TopChunkSelector(kernels, config), reuse,
                    window + config.chunkSize());
            case SNAPKV -> new ComposedPolicy(config, numLayers, windowScores, new TopTokenSelector(kernels, window, uniform), reuse, window);
            case H2O -> new ComposedPolicy(config, numLayers, new AccumulatedAttentionScorer(kernels, window),
                    new TopTokenSelector(kernels, window, uniform), reuse, window);
            case STREAMINGLLM -> new ComposedPolicy(config, numLayers, null, new RecentSelector(window, config.sinkTokens(), uniform),
                    reuse, window);
            case PYRAMIDKV -> new ComposedPolicy(config, numLayers, windowScores,
                    new TopTokenSelector(kernels, window, new PyramidBudget(config, numLayers)), reuse, window);
            case RANDOM -> new ComposedPolicy(config, numLayers, null, new RandomSelector(window, config.seed(), uniform), reuse, window);
        };
    }
}
