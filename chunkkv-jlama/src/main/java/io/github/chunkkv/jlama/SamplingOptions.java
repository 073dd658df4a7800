package io.github.chunkkv.jlama;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * How {@link Sampler} picks each generated token: a repetition penalty on the logits of tokens already in the session,
 * then greedy choice (temperature 0) or a draw from softmax(logits / temperature) restricted to the {@code topK} most
 * likely tokens and, of those, the smallest set whose probability reaches {@code topP}. Immutable; made through the
 * factories and the {@code with} methods, each of which rejects a value outside its range naming the parameter.
 */
public final class SamplingOptions {
    /** {@link #topK()} when no top-k limit is set. */
    public static final int NO_TOP_K = 0;

    private static final SamplingOptions GREEDY = new SamplingOptions(0f, 1f, NO_TOP_K, 1f, null);

    private final float temperature;
    private final float topP;
    private final int topK;
    private final float repetitionPenalty;
    private final Long seed;

    private SamplingOptions(float temperature, float topP, int topK, float repetitionPenalty, Long seed) {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
        }
        if (!(topP > 0f && topP <= 1f)) throw new IllegalArgumentException("topP must be in (0, 1] (1 = no nucleus cut), got " + topP);
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 1 (or " + NO_TOP_K + " for no limit), got " + topK);
        if (!(repetitionPenalty > 0f) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetitionPenalty must be a finite number > 0 (1 = none, > 1 discourages repeats), got "
                    + repetitionPenalty);
        }
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
        this.repetitionPenalty = repetitionPenalty;
        this.seed = seed;
    }

    /** Always the most likely token. */
    public static SamplingOptions greedy() {
        return GREEDY;
    }

    /** A draw from softmax(logits / temperature); temperature 0 is {@link #greedy()}. */
    public static SamplingOptions temperature(float temperature) {
        return temperature == 0f ? GREEDY : new SamplingOptions(temperature, 1f, NO_TOP_K, 1f, null);
    }

    /** Draws only from the most likely tokens whose probabilities sum to at least {@code topP}, in (0, 1]. */
    public SamplingOptions withTopP(float topP) {
        return new SamplingOptions(temperature, topP, topK, repetitionPenalty, seed);
    }

    /** Draws only from the {@code topK} (>= 1) most likely tokens. */
    public SamplingOptions withTopK(int topK) {
        if (topK == NO_TOP_K) throw new IllegalArgumentException("topK must be >= 1, got " + topK);
        return new SamplingOptions(temperature, topP, topK, repetitionPenalty, seed);
    }

    /**
     * Divides the positive logits (multiplies the negative ones) of every token already in the session by
     * {@code penalty}, a finite number > 0; 1 is no penalty. The CTRL penalty, as Hugging Face and llama.cpp apply it.
     */
    public SamplingOptions withRepetitionPenalty(float penalty) {
        return new SamplingOptions(temperature, topP, topK, penalty, seed);
    }

    /** Draws from a generator seeded with {@code seed}, so that a generation with the same inputs is reproducible. */
    public SamplingOptions withSeed(long seed) {
        return new SamplingOptions(temperature, topP, topK, repetitionPenalty, seed);
    }

    /** 0 is greedy. */
    public float temperature() {
        return temperature;
    }

    /** The nucleus: 1 keeps every token. */
    public float topP() {
        return topP;
    }

    /** How many of the most likely tokens may be drawn; {@link #NO_TOP_K} for all. */
    public int topK() {
        return topK;
    }

    /** 1 is no penalty. */
    public float repetitionPenalty() {
        return repetitionPenalty;
    }

    /** The seed of this generation's draws; empty when the model's own generator draws. */
    public OptionalLong seed() {
        return seed == null ? OptionalLong.empty() : OptionalLong.of(seed);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SamplingOptions s && temperature == s.temperature && topP == s.topP && topK == s.topK
                && repetitionPenalty == s.repetitionPenalty && Objects.equals(seed, s.seed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(temperature, topP, topK, repetitionPenalty, seed);
    }

    @Override
    public String toString() {
        return "temperature=" + temperature + " topP=" + topP + " topK=" + topK + " repetitionPenalty=" + repetitionPenalty
                + " seed=" + seed;
    }
}
