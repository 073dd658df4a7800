package io.github.chunkkv.jlama;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one generation may produce: how tokens are sampled, how many at most, and the stop sequences that end it.
 * Immutable; made through {@link #maxTokens(int)} and the {@code with} methods, so that options can be added without
 * changing the code that asks for a generation. The model's end-of-sequence tokens and its context length always
 * end a generation as well.
 */
public final class GenerationOptions {
    private final SamplingOptions sampling;
    private final int maxTokens;
    private final List<String> stopSequences;
    private final Duration timeLimit;

    private GenerationOptions(SamplingOptions sampling, int maxTokens, List<String> stopSequences, Duration timeLimit) {
        this.sampling = Objects.requireNonNull(sampling, "sampling");
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens (new tokens to generate) must be >= 1, got " + maxTokens);
        Objects.requireNonNull(stopSequences, "stopSequences");
        for (String stop : stopSequences) {
            if (stop == null || stop.isEmpty()) {
                throw new IllegalArgumentException("stopSequences must not contain null or empty strings, got " + stopSequences);
            }
        }
        if (timeLimit != null && (timeLimit.isNegative() || timeLimit.isZero())) {
            throw new IllegalArgumentException("timeLimit must be positive (null = none), got " + timeLimit);
        }
        this.maxTokens = maxTokens;
        this.stopSequences = List.copyOf(stopSequences);
        this.timeLimit = timeLimit;
    }

    /** Greedy generation of at most {@code maxTokens} tokens (>= 1; {@link Integer#MAX_VALUE}: until the context is full). */
    public static GenerationOptions maxTokens(int maxTokens) {
        return new GenerationOptions(SamplingOptions.greedy(), maxTokens, List.of(), null);
    }

    /** How tokens are sampled; greedy unless set. */
    public GenerationOptions withSampling(SamplingOptions sampling) {
        return new GenerationOptions(sampling, maxTokens, stopSequences, timeLimit);
    }

    /** Texts that end the generation; the reply is cut before the first one that appears. */
    public GenerationOptions withStopSequences(List<String> stopSequences) {
        return new GenerationOptions(sampling, maxTokens, stopSequences, timeLimit);
    }

    /**
     * Wall time a generation may take, counted from its start (the prefill included); checked after every token, so
     * the reply ends cleanly with {@link GenerationResult.StopReason#TIME_LIMIT} between two tokens, never inside the
     * prefill. Positive; null for no limit.
     */
    public GenerationOptions withTimeLimit(Duration timeLimit) {
        return new GenerationOptions(sampling, maxTokens, stopSequences, timeLimit);
    }

    /** How tokens are sampled. */
    public SamplingOptions sampling() {
        return sampling;
    }

    /** The most tokens to generate. */
    public int maxTokens() {
        return maxTokens;
    }

    /** The texts that end the generation. */
    public List<String> stopSequences() {
        return stopSequences;
    }

    /** The time limit, or null for none. */
    public Duration timeLimit() {
        return timeLimit;
    }

    @Override
    public String toString() {
        return "maxTokens=" + maxTokens + " " + sampling + " stopSequences=" + stopSequences + " timeLimit=" + timeLimit;
    }
}
