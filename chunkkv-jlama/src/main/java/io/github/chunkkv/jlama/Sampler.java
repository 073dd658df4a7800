package io.github.chunkkv.jlama;

import java.util.random.RandomGenerator;

/** Picks the next token from raw logits: argmax at temperature 0, else a draw from softmax(logits / temperature). */
public final class Sampler {
    private Sampler() {}

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** The next token as {@code options} ask; {@code random} draws when they do not fix the choice. */
    public static int sample(float[] logits, SamplingOptions options, RandomGenerator random) {
        return sample(logits, options.temperature(), random);
    }

    public static int sample(float[] logits, float temperature, RandomGenerator random) {
        if (!(temperature >= 0f)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (temperature == 0f) return argmax(logits);
        float max = logits[argmax(logits)];
        double[] weights = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) sum += weights[i] = Math.exp((logits[i] - max) / temperature);
        double u = random.nextDouble() * sum;
        for (int i = 0; i < logits.length; i++) {
            u -= weights[i];
            if (u <= 0) return i;
        }
        return logits.length - 1;
    }
}
