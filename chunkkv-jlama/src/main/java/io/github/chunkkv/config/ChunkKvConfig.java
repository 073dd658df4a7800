package io.github.chunkkv.config;

import io.github.chunkkv.policy.PolicyRegistry;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable, validated description of one KV-cache policy and its parameters.
 *
 * <p>The cache size after compression is given either as a keep ratio (of the positions outside the
 * observation window) or as a token budget (window included). Build one with {@link #builder(String)}
 * or parse a spec string such as {@code chunkkv:keep=0.1,chunk=10,window=32,reuse=2}. Policy names are those of
 * {@link PolicyRegistry}.
 */
public final class ChunkKvConfig {
    /** Default {@code chunk}: positions per chunk, the paper's setting. */
    public static final int DEFAULT_CHUNK_SIZE = 10;
    /** Default {@code window}: the last prompt positions whose attention scores the rest. */
    public static final int DEFAULT_WINDOW = 32;
    /** Default {@code pool}: width of the average pooling that smooths scores over neighbouring positions. */
    public static final int DEFAULT_POOLING_KERNEL = 5;
    /** Default {@code sinks}: the first positions StreamingLLM always keeps. */
    public static final int DEFAULT_SINK_TOKENS = 4;
    /** Default {@code seed} of the random policy, so that its runs are reproducible. */
    public static final long DEFAULT_SEED = 42L;
    /**
     * Upper bound of every value counted in positions ({@code window}, {@code chunk}, {@code budget}, {@code sinks},
     * {@code cap}, {@code slack}): far above any context Jlama can hold, low enough to rule out typos, and small enough
     * that sums of two such values ({@code window + chunk}, {@code cap + slack}) cannot overflow an int.
     */
    public static final int MAX_POSITIONS = 1 << 24;
    /** Upper bound of {@code cap} and {@code slack}. */
    public static final int MAX_CAP = MAX_POSITIONS;
    /** Upper bound of {@code pool}: a kernel wider than this smooths scores into noise. */
    public static final int MAX_POOLING_KERNEL = 1023;
    /** Upper bound of {@code reuse}: more layers than any model has. */
    public static final int MAX_REUSE_INTERVAL = 1024;
    /** Cold chunks decoding may promote per layer and step when recall is on and {@code promote} is not given. */
    public static final int DEFAULT_PROMOTE = 1;
    /** Upper bound of {@code promote}. */
    public static final int MAX_PROMOTE = 64;
    /** Upper bound of {@code segment}. */
    public static final int MAX_SEGMENT = MAX_POSITIONS;

    private final String policy;
    private final String scorer; // null: the policy's own
    private final double keepRatio; // NaN when a budget is given
    private final int budget; // 0 when a ratio is given
    private final int chunkSize;
    private final int window;
    private final int poolingKernel;
    private final int reuseInterval;
    private final int sinkTokens;
    private final long seed;
    private final Recall recall;
    private final int cap; // 0: no decoding cap
    private final int slack;
    private final Probe probe;
    private final KvPrecision kv; // null: the model's working memory type
    private final Integer promote; // null: DEFAULT_PROMOTE with recall, else 0
    private final int segment; // 0: every prefill is compressed once, at its end

    private ChunkKvConfig(Builder b) {
        this.policy = b.policy;
        this.scorer = b.scorer;
        this.keepRatio = b.budget == null ? (b.keepRatio == null ? 1.0 : b.keepRatio) : Double.NaN;
        this.budget = b.budget == null ? 0 : b.budget;
        this.chunkSize = b.chunkSize;
        this.window = b.window;
        this.poolingKernel = b.poolingKernel;
        this.reuseInterval = b.reuseInterval;
        this.sinkTokens = b.sinkTokens;
        this.seed = b.seed;
        this.recall = b.recall;
        this.cap = b.cap;
        this.slack = b.slack;
        this.probe = b.probe;
        this.kv = b.kv;
        this.promote = b.promote;
        this.segment = b.segment;
    }

    /** Full KV cache: nothing is ever evicted. */
    public static ChunkKvConfig full() {
        return builder(PolicyRegistry.FULL).build();
    }

    /** ChunkKV with the paper's defaults and the given keep ratio. */
    public static ChunkKvConfig chunkKv(double keepRatio) {
        return builder("chunkkv").keepRatio(keepRatio).build();
    }

    /**
     * A builder with every other parameter at its default.
     *
     * @param policy a registered policy name, case-insensitive
     * @throws IllegalArgumentException when {@code policy} is not registered (the message lists the names)
     */
    public static Builder builder(String policy) {
        return new Builder(policy);
    }

    /**
     * Parses {@code name[:key=value,...]}; keys: keep, budget, chunk, window, pool, reuse, sinks, seed, scorer, recall, cap,
     * slack, probe, kv, promote, segment.
     * Applies the same validation as the builder.
     */
    public static ChunkKvConfig parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("policy spec must be 'name[:key=value,...]' with name one of "
                    + String.join(", ", PolicyRegistry.names()));
        }
        String[] head = spec.trim().split(":", 2);
        Builder b = builder(head[0]);
        if (head.length == 2 && !head[1].isBlank()) {
            for (String pair : head[1].split(",")) {
                String[] kv = pair.split("=", 2);
                if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                    throw new IllegalArgumentException("policy spec parameter must be key=value, got '" + pair.trim() + "' in '" + spec + "'");
                }
                b.set(kv[0].trim().toLowerCase(Locale.ROOT), kv[1].trim());
            }
        }
        return b.build();
    }

    /** The registered policy name, lower case. */
    public String policy() {
        return policy;
    }

    /** The registered policy whose scorer replaces this policy's own ({@code scorer=}); null when not replaced. */
    public String scorer() {
        return scorer;
    }

    /** True for the FullKV reference policy. */
    public boolean isFull() {
        return policy.equals(PolicyRegistry.FULL);
    }

    /** True when a keep ratio (not a token budget) sizes the cache. */
    public boolean usesRatio() {
        return budget == 0;
    }

    /** Keep ratio in (0, 1]; NaN when a budget is used. */
    public double keepRatio() {
        return keepRatio;
    }

    /** Token budget (window included); 0 when a ratio is used. */
    public int budget() {
        return budget;
    }

    /** Positions per chunk ({@code chunk}), in [1, {@value #MAX_POSITIONS}]; default {@value #DEFAULT_CHUNK_SIZE}. */
    public int chunkSize() {
        return chunkSize;
    }

    /**
     * Observation window ({@code window}): the last prompt positions, always kept, whose attention scores the rest.
     * In [1, {@value #MAX_POSITIONS}]; default {@value #DEFAULT_WINDOW}.
     */
    public int window() {
        return window;
    }

    /**
     * Width of the average pooling over positions ({@code pool}): odd, in [1, {@value #MAX_POOLING_KERNEL}]; default
     * {@value #DEFAULT_POOLING_KERNEL}.
     */
    public int poolingKernel() {
        return poolingKernel;
    }

    /**
     * Layers per group sharing one index list ({@code reuse}), in [1, {@value #MAX_REUSE_INTERVAL}]; 1, the default,
     * means every layer selects its own.
     */
    public int reuseInterval() {
        return reuseInterval;
    }

    /**
     * Attention-sink tokens StreamingLLM always keeps ({@code sinks}), in [0, {@value #MAX_POSITIONS}]; default
     * {@value #DEFAULT_SINK_TOKENS}.
     */
    public int sinkTokens() {
        return sinkTokens;
    }

    /** Seed of the random policy ({@code seed}); default {@value #DEFAULT_SEED}. Other policies ignore it. */
    public long seed() {
        return seed;
    }

    /** Where evicted rows go. */
    public Recall recall() {
        return recall;
    }

    /** True when evicted rows are demoted to a cold tier and every later prefill re-selects over the whole context. */
    public boolean recalls() {
        return recall != Recall.OFF;
    }

    /** How hot rows are stored; empty means as the model's working memory (F32 or BF16), as stock Jlama does. */
    public Optional<KvPrecision> kv() {
        return Optional.ofNullable(kv);
    }

    /**
     * Cold chunks ({@code chunk} positions each) each layer may promote into the hot cache per decode step when the
     * step's query may attend to them; 0 when decoding reads only what the last re-selection kept.
     */
    public int promote() {
        return promote != null ? promote : recalls() ? DEFAULT_PROMOTE : 0;
    }

    /** Hot rows per layer that a decoding cap re-selects down to; 0 when decoding is not capped. */
    public int cap() {
        return cap;
    }

    /** Rows a layer may grow beyond {@link #cap()} during decoding before it is re-selected down to the cap. */
    public int slack() {
        return slack;
    }

    /** What scores the compression of the session's first prefill (the shared context). */
    public Probe probe() {
        return probe;
    }

    /**
     * Bounded-memory prefill ({@code segment}): a prefill runs in segments of this many tokens and the whole hot cache
     * is compressed after each, so it never holds more than its target plus one segment of rows (plus, with recall,
     * the cold chunks each batch promotes instead of recalling the cold tier wholesale); 0 when a prefill is compressed
     * once, at its end. See {@link #segmentTarget(int)}.
     */
    public int segment() {
        return segment;
    }

    /**
     * The rows a segmented prefill compresses the hot cache to once {@code positions} tokens have been seen: the
     * budget, or with a keep ratio the window plus that ratio of the other positions seen so far (a streaming prompt's
     * length is unknown until its end, so the ratio applies to what has been read). Selectors round it as they round
     * any budget (ChunkKV keeps whole chunks); the first compression, before anything was evicted, is the policy's
     * own, exactly as without segments.
     */
    public int segmentTarget(int positions) {
        return usesRatio() ? window + keptOutsideWindow(positions) : budget;
    }

    /** This configuration with the cache sized by a token budget instead: what the decoding cap selects with. */
    public ChunkKvConfig withBudget(int budget) {
        Builder b = copy();
        b.keepRatio = null;
        b.budget = budget;
        return b.build();
    }

    /** This configuration with prefills in segments of {@code segment} tokens (0: compressed once at their end). */
    public ChunkKvConfig withSegment(int segment) {
        return copy().segment(segment).build();
    }

    /** This configuration with evicted rows going to {@code recall}. */
    public ChunkKvConfig withRecall(Recall recall) {
        Builder b = copy().recall(recall);
        if (recall == Recall.OFF) b.promote = null; // nothing to promote from
        return b.build();
    }

    private Builder copy() {
        Builder b = new Builder(policy);
        b.scorer = scorer;
        if (usesRatio()) b.keepRatio = keepRatio;
        else b.budget = budget;
        b.chunkSize = chunkSize;
        b.window = window;
        b.poolingKernel = poolingKernel;
        b.reuseInterval = reuseInterval;
        b.sinkTokens = sinkTokens;
        b.seed = seed;
        b.recall = recall;
        b.cap = cap;
        b.slack = slack;
        b.probe = probe;
        b.kv = kv;
        b.promote = promote;
        b.segment = segment;
        return b;
    }

    /** True when this configuration can never evict anything. */
    public boolean keepsEverything() {
        return isFull() || (usesRatio() && keepRatio >= 1.0);
    }

    /** Number of positions kept outside the window of a cache of {@code n} positions, for token-level policies. */
    public int keptOutsideWindow(int n) {
        int candidates = Math.max(0, n - window);
        if (usesRatio()) return Math.min(candidates, Math.max(1, (int) Math.floor(candidates * keepRatio)));
        return Math.min(candidates, budget - window);
    }

    /** The spec string that parses back to this configuration. */
    public String toSpec() {
        Map<String, String> p = new LinkedHashMap<>();
        if (scorer != null) p.put("scorer", scorer);
        if (usesRatio()) p.put("keep", trim(keepRatio));
        else p.put("budget", Integer.toString(budget));
        p.put("chunk", Integer.toString(chunkSize));
        p.put("window", Integer.toString(window));
        p.put("pool", Integer.toString(poolingKernel));
        p.put("reuse", Integer.toString(reuseInterval));
        p.put("sinks", Integer.toString(sinkTokens));
        p.put("seed", Long.toString(seed));
        if (recall != Recall.OFF) {
            p.put("recall", recall.specName());
            p.put("promote", Integer.toString(promote()));
        }
        if (cap > 0) {
            p.put("cap", Integer.toString(cap));
            p.put("slack", Integer.toString(slack));
        }
        if (probe != Probe.NONE) p.put("probe", probe.specName());
        if (kv != null) p.put("kv", kv.specName());
        if (segment > 0) p.put("segment", Integer.toString(segment));
        StringBuilder sb = new StringBuilder(policy).append(':');
        p.forEach((k, v) -> sb.append(k).append('=').append(v).append(','));
        return sb.substring(0, sb.length() - 1);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkKvConfig c && c.toSpec().equals(toSpec());
    }

    @Override
    public int hashCode() {
        return toSpec().hashCode();
    }

    @Override
    public String toString() {
        return toSpec();
    }

    /** Builder; {@link #build()} validates every parameter and names the one that is out of range. */
    public static final class Builder {
        private final String policy;
        private String scorer;
        private Double keepRatio;
        private Integer budget;
        private int chunkSize = DEFAULT_CHUNK_SIZE;
        private int window = DEFAULT_WINDOW;
        private int poolingKernel = DEFAULT_POOLING_KERNEL;
        private int reuseInterval = 1;
        private int sinkTokens = DEFAULT_SINK_TOKENS;
        private long seed = DEFAULT_SEED;
        private Recall recall = Recall.OFF;
        private int cap;
        private int slack;
        private Probe probe = Probe.NONE;
        private KvPrecision kv;
        private Integer promote;
        private int segment;

        private Builder(String policy) {
            Objects.requireNonNull(policy, () -> "policy must be one of " + String.join(", ", PolicyRegistry.names()));
            this.policy = PolicyRegistry.canonicalName(policy);
        }

        /**
         * Scores positions as the registered policy {@code scorer} does, keeping this policy's selector: chunkkv with
         * scorer h2o keeps whole chunks by H2O's accumulated attention.
         */
        public Builder scorer(String scorer) {
            this.scorer = scorer;
            return this;
        }

        /** Fraction of the positions outside the window to keep, in (0, 1]. */
        public Builder keepRatio(double keepRatio) {
            this.keepRatio = keepRatio;
            return this;
        }

        /** Total number of cached positions to keep (window included), in [window, {@value #MAX_POSITIONS}]. */
        public Builder budget(int budget) {
            this.budget = budget;
            return this;
        }

        /** Positions per chunk (ChunkKV), in [1, {@value #MAX_POSITIONS}]. */
        public Builder chunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        /** Last prompt positions whose attention scores the rest; always kept. In [1, {@value #MAX_POSITIONS}]. */
        public Builder window(int window) {
            this.window = window;
            return this;
        }

        /** Width of the average pooling over positions: odd, in [1, {@value #MAX_POOLING_KERNEL}]. */
        public Builder poolingKernel(int poolingKernel) {
            this.poolingKernel = poolingKernel;
            return this;
        }

        /** Layers per group sharing one index list (1 = every layer selects its own), in [1, {@value #MAX_REUSE_INTERVAL}]. */
        public Builder reuseInterval(int reuseInterval) {
            this.reuseInterval = reuseInterval;
            return this;
        }

        /** Attention-sink tokens StreamingLLM always keeps, in [0, {@value #MAX_POSITIONS}]. */
        public Builder sinkTokens(int sinkTokens) {
            this.sinkTokens = sinkTokens;
            return this;
        }

        /** Seed of the random policy. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Where evicted rows go (default {@link Recall#OFF}: they are dropped). */
        public Builder recall(Recall recall) {
            this.recall = Objects.requireNonNull(recall, "recall must be one of off, ram, disk");
            return this;
        }

        /** Hot rows per layer a decoding cap re-selects down to, in [window + 1, {@value #MAX_CAP}]; 0 = no cap. */
        public Builder cap(int cap) {
            this.cap = cap;
            return this;
        }

        /** Growth beyond the cap tolerated before re-selecting, in [0, {@value #MAX_CAP}]. */
        public Builder slack(int slack) {
            this.slack = slack;
            return this;
        }

        /** What scores the first prefill's compression (default {@link Probe#NONE}: the prompt's own window). */
        public Builder probe(Probe probe) {
            this.probe = Objects.requireNonNull(probe, "probe must be one of none, repeat");
            return this;
        }

        /** How hot rows are stored (default: as the model's working memory). */
        public Builder kv(KvPrecision kv) {
            this.kv = Objects.requireNonNull(kv, "kv must be one of f32, bf16, q8");
            return this;
        }

        /**
         * Cold chunks each layer may promote per decode step, in [0, {@value #MAX_PROMOTE}]; needs recall when above 0
         * (default {@value #DEFAULT_PROMOTE} with recall, 0 without).
         */
        public Builder promote(int promote) {
            this.promote = promote;
            return this;
        }

        /**
         * Prefills in segments of this many tokens, compressing the whole hot cache after each; in [window,
         * {@value #MAX_SEGMENT}], or 0 (the default) to compress once at the end of each prefill. Not for {@code full}
         * nor with {@code probe=repeat}.
         */
        public Builder segment(int segment) {
            this.segment = segment;
            return this;
        }

        private void set(String key, String value) {
            switch (key) {
                case "scorer" -> scorer(value);
                case "keep", "ratio" -> keepRatio(parseDouble(key, value));
                case "budget" -> budget(parseInt(key, value));
                case "chunk" -> chunkSize(parseInt(key, value));
                case "window" -> window(parseInt(key, value));
                case "pool" -> poolingKernel(parseInt(key, value));
                case "reuse" -> reuseInterval(parseInt(key, value));
                case "sinks" -> sinkTokens(parseInt(key, value));
                case "seed" -> seed(parseLong(key, value));
                case "recall" -> recall(Recall.fromName(value));
                case "cap" -> cap(parseInt(key, value));
                case "slack" -> slack(parseInt(key, value));
                case "probe" -> probe(Probe.fromName(value));
                case "kv" -> kv(KvPrecision.fromName(value));
                case "promote" -> promote(parseInt(key, value));
                case "segment" -> segment(parseInt(key, value));
                default -> throw new IllegalArgumentException("unknown policy spec parameter '" + key
                        + "'; allowed: keep, budget, chunk, window, pool, reuse, sinks, seed, scorer, recall, cap, slack, probe, kv, promote, segment");
            }
        }

        /**
         * Validates every parameter and returns the immutable configuration.
         * @throws IllegalArgumentException naming the first parameter out of its range, or a combination that is not
         * allowed (keep with budget, cap or segment with full, slack without cap, scorer with a policy that does not score,
         * segment with probe=repeat)
         */
        public ChunkKvConfig build() {
            if (keepRatio != null && budget != null) {
                throw new IllegalArgumentException("give either keep (ratio) or budget, not both");
            }
            if (keepRatio != null && !(keepRatio > 0.0 && keepRatio <= 1.0)) {
                throw new IllegalArgumentException("keep ratio must be in (0, 1], got " + keepRatio);
            }
            requireIn("window", window, 1, MAX_POSITIONS);
            if (budget != null && (budget < window || budget > MAX_POSITIONS)) {
                throw new IllegalArgumentException("budget must be >= window (" + window + ") and <= " + MAX_POSITIONS + ", got " + budget);
            }
            requireIn("chunk", chunkSize, 1, MAX_POSITIONS);
            if (poolingKernel < 1 || poolingKernel > MAX_POOLING_KERNEL || poolingKernel % 2 == 0) {
                throw new IllegalArgumentException("pool must be odd and in [1, " + MAX_POOLING_KERNEL + "], got " + poolingKernel);
            }
            requireIn("reuse", reuseInterval, 1, MAX_REUSE_INTERVAL);
            requireIn("sinks", sinkTokens, 0, MAX_POSITIONS);
            // keep and budget may be given to full (code that sizes every policy alike does): it keeps everything anyway.
            // A cap promises bounded decoding memory, which full cannot keep: refused rather than ignored.
            if (cap != 0 && policy.equals(PolicyRegistry.FULL)) {
                throw new IllegalArgumentException("cap applies only to policies that evict; " + PolicyRegistry.FULL + " keeps every position");
            }
            if (cap != 0 && (cap < window + 1 || cap > MAX_CAP)) {
                throw new IllegalArgumentException("cap must be 0 (no cap) or in [window + 1 = " + (window + 1) + ", " + MAX_CAP + "], got " + cap);
            }
            requireIn("slack", slack, 0, MAX_CAP);
            if (slack > 0 && cap == 0) throw new IllegalArgumentException("slack needs a cap (slack only delays the decoding cap), got slack=" + slack);
            if (promote != null && (promote < 0 || promote > MAX_PROMOTE)) {
                throw new IllegalArgumentException("promote must be in [0, " + MAX_PROMOTE + "], got " + promote);
            }
            if (promote != null && promote > 0 && recall == Recall.OFF) {
                throw new IllegalArgumentException("promote needs recall=ram or recall=disk (without recall nothing stays to promote), got promote=" + promote);
            }
            if (segment != 0) checkSegment();
            if (scorer != null) checkScorer();
            return new ChunkKvConfig(this);
        }

        private void checkSegment() {
            if (policy.equals(PolicyRegistry.FULL)) {
                throw new IllegalArgumentException("segment applies only to policies that evict; " + PolicyRegistry.FULL
                        + " keeps every position, so its memory cannot be bounded");
            }
            if (segment < window || segment > MAX_SEGMENT) {
                // A segment shorter than the window could not fill the observation window that scores its compression.
                throw new IllegalArgumentException("segment must be 0 (compress once per prefill) or in [window = " + window + ", "
                        + MAX_SEGMENT + "], got " + segment);
            }
            if (probe == Probe.REPEAT) {
                throw new IllegalArgumentException("segment cannot be combined with probe=repeat: the probe re-reads the whole prompt, "
                        + "which a bounded-memory prefill never holds at once");
            }
        }

        private void checkScorer() {
            String scoring = String.join(", ", PolicyRegistry.scorerNames());
            if (!PolicyRegistry.scores(policy)) {
                throw new IllegalArgumentException("scorer applies only to policies that score positions (" + scoring + "); "
                        + policy + " ignores scores");
            }
            scorer = scorer.trim().toLowerCase(Locale.ROOT);
            if (!PolicyRegistry.scorerNames().contains(scorer)) {
                throw new IllegalArgumentException("scorer must be one of " + scoring + ", got '" + scorer + "'");
            }
        }

        private static void requireIn(String key, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(key + " must be in [" + min + ", " + max + "], got " + value);
            }
        }

        private static int parseInt(String key, String value) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be an integer, got '" + value + "'");
            }
        }

        private static long parseLong(String key, String value) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be an integer, got '" + value + "'");
            }
        }

        private static double parseDouble(String key, String value) {
            try {
                return Double.parseDouble(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be a number in (0, 1], got '" + value + "'");
            }
        }
    }
}
