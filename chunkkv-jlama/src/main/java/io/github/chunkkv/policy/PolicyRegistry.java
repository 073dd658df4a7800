package io.github.chunkkv.policy;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The policies by name: each a scorer (what a position is worth) and a selector (which positions to keep given the
 * scores); every policy honours the reuse interval. The built-ins register below, one line each; an application can
 * register its own before parsing specs that name it. Spec strings may swap the scorer ({@code scorer=h2o} scores
 * as H2O does), so every selector composes with every scorer.
 */
public final class PolicyRegistry {
    /** The reference policy: keeps everything, observes nothing. */
    public static final String FULL = "full";

    /** Makes a policy's scorer for one configuration. */
    @FunctionalInterface
    public interface ScorerFactory {
        /** A scorer for {@code config}, computing with {@code kernels}; called once per session. */
        TokenScorer create(ChunkKvConfig config, Kernels kernels);
    }

    /** Makes a policy's selector for one configuration and model depth. */
    @FunctionalInterface
    public interface SelectorFactory {
        /** A selector for {@code config} on a model of {@code numLayers} layers, computing with {@code kernels}. */
        Selector create(ChunkKvConfig config, int numLayers, Kernels kernels);
    }

    /** @param scorer null for policies whose selector ignores scores */
    private record Definition(ScorerFactory scorer, SelectorFactory selector) {}

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]*");
    private static final Map<String, Definition> POLICIES = new LinkedHashMap<>();

    private static final ScorerFactory WINDOW_ATTENTION =
            (config, kernels) -> new WindowAttentionScorer(kernels, config.window(), config.poolingKernel());
    private static final SelectorFactory TOP_TOKENS =
            (config, layers, kernels) -> new TopTokenSelector(kernels, config.window(), LayerBudget.uniform(config));

    static {
        register(FULL, null, (config, layers, kernels) -> Selector.keepAll());
        register("chunkkv", WINDOW_ATTENTION, (config, layers, kernels) -> new TopChunkSelector(kernels, config));
        // Original SnapKV selects per head; here one index list per layer is selected on the head-summed score, as
        // every policy of this cache shares one list across heads.
        register("snapkv", WINDOW_ATTENTION, TOP_TOKENS);
        register("h2o", (config, kernels) -> new AccumulatedAttentionScorer(kernels, config.window()), TOP_TOKENS);
        register("streamingllm", null, (config, layers, kernels) ->
                new RecentSelector(config.window(), config.sinkTokens(), LayerBudget.uniform(config)));
        register("pyramidkv", WINDOW_ATTENTION, (config, layers, kernels) ->
                new TopTokenSelector(kernels, config.window(), new PyramidBudget(config, layers)));
        register("random", null, (config, layers, kernels) ->
                new RandomSelector(config.window(), config.seed(), LayerBudget.uniform(config)));
        register("tova", (config, kernels) -> new TovaScorer(kernels, config.window()), TOP_TOKENS);
        register("keydiff", (config, kernels) -> new KeyDiffScorer(kernels, config.window()), TOP_TOKENS);
        // ChunkKV with chunks placed off the paper's fixed grid (chunk-boundary study); the grid stays the default.
        register("chunkkv-shift", WINDOW_ATTENTION, (config, layers, kernels) -> new ShiftedGridSelector(kernels, config));
        register("chunkkv-slide", WINDOW_ATTENTION, (config, layers, kernels) -> new SlidingChunkSelector(kernels, config));
        register("chunkkv-peak", WINDOW_ATTENTION, (config, layers, kernels) -> new PeakCentredSelector(kernels, config));
    }

    private PolicyRegistry() {}

    /**
     * Adds a policy; {@code name} (lower case, a letter first, then letters, digits, '-' or '_') must be new.
     *
     * @param scorer null when the selector ignores scores
     */
    public static synchronized void register(String name, ScorerFactory scorer, SelectorFactory selector) {
        Objects.requireNonNull(selector, "selector");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("policy name must match " + NAME + ", got '" + name + "'");
        }
        if (POLICIES.containsKey(name)) throw new IllegalArgumentException("policy '" + name + "' is already registered");
        POLICIES.put(name, new Definition(scorer, selector));
    }

    /** Registered names in registration order, FullKV first. */
    public static synchronized List<String> names() {
        return List.copyOf(POLICIES.keySet());
    }

    /** The registered name {@code name} denotes (case and surrounding blanks ignored). */
    public static String canonicalName(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        definition(wanted);
        return wanted;
    }

    /** True when {@code name} is registered with a scorer, so it can be named as another policy's {@code scorer=}. */
    public static boolean scores(String name) {
        return definition(name).scorer() != null;
    }

    /** Registered names that have a scorer. */
    public static synchronized List<String> scorerNames() {
        return POLICIES.entrySet().stream().filter(e -> e.getValue().scorer() != null).map(Map.Entry::getKey).toList();
    }

    /** The policy {@code config} names, for a model of {@code numLayers} layers, with the preferred kernels. */
    public static CompressionPolicy create(ChunkKvConfig config, int numLayers) {
        Objects.requireNonNull(config, "config");
        Kernels kernels = Kernels.preferred();
        Definition policy = definition(config.policy());
        ScorerFactory scorer = config.scorer() == null ? policy.scorer() : definition(config.scorer()).scorer();
        return new ComposedPolicy(config, numLayers, scorer == null ? null : scorer.create(config, kernels),
                policy.selector().create(config, numLayers, kernels), new ReuseSchedule(config.reuseInterval()));
    }

    private static synchronized Definition definition(String name) {
        Definition d = POLICIES.get(name);
        if (d == null) throw new IllegalArgumentException("policy must be one of " + String.join(", ", POLICIES.keySet()) + ", got '" + name + "'");
        return d;
    }
}
