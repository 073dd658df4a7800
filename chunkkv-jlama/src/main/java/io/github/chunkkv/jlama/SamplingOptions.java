package io.github.chunkkv.jlama;

/**
 * How {@link Sampler} picks each generated token. Made through the factories, so that sampling parameters can be
 * added here (top-p, top-k, a per-request seed) without changing the code that asks for a generation.
 */
public final class SamplingOptions {
    private static final SamplingOptions GREEDY = new SamplingOptions(0f);

    private final float temperature;

    private SamplingOptions(float temperature) {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
        }
        this.temperature = temperature;
    }

    /** Always the most likely token. */
    public static SamplingOptions greedy() {
        return GREEDY;
    }

    /** A draw from softmax(logits / temperature); temperature 0 is {@link #greedy()}. */
    public static SamplingOptions temperature(float temperature) {
        return temperature == 0f ? GREEDY : new SamplingOptions(temperature);
    }

    public float temperature() {
        return temperature;
    }

    @Override
    public String toString() {
        return "temperature=" + temperature;
    }
}
