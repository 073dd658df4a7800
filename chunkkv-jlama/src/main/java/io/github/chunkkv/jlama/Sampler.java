package io.github.chunkkv.jlama;

import java.util.Arrays;
import java.util.BitSet;
import java.util.random.RandomGenerator;

/**
 * Picks the next token from raw logits as {@link SamplingOptions} say, in the order Hugging Face's samplers use:
 * repetition penalty, then greedy choice or temperature, top-k, top-p and a draw.
 */
public final class Sampler {
    private Sampler() {}

    /** The index of the largest logit (the first one on ties). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** A draw from softmax(logits / temperature) (argmax at 0), without penalty or cut. */
    public static int sample(float[] logits, float temperature, RandomGenerator random) {
        return sample(logits, SamplingOptions.temperature(temperature), new BitSet(), random);
    }

    /**
     * The next token as {@code options} ask. {@code previousTokens} holds the ids the repetition penalty applies to
     * (the session's tokens); {@code random} draws when the options do not fix the choice. {@code logits} is not
     * changed.
     */
    public static int sample(float[] logits, SamplingOptions options, BitSet previousTokens, RandomGenerator random) {
        float[] scores = penalized(logits, options.repetitionPenalty(), previousTokens);
        if (options.temperature() == 0f) return argmax(scores);
        // Without a cut, draw over the vocabulary in id order: no sort, and the draws of earlier versions stay the same.
        int[] candidates = options.topK() == SamplingOptions.NO_TOP_K && options.topP() >= 1f ? null : mostLikelyFirst(scores, options.topK());
        int n = candidates == null ? scores.length : candidates.length;
        float max = scores[argmax(scores)];
        double[] weights = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += weights[i] = Math.exp((scores[id(candidates, i)] - max) / options.temperature());
        int kept = nucleus(weights, sum, options.topP());
        double keptSum = 0;
        for (int i = 0; i < kept; i++) keptSum += weights[i];
        double u = random.nextDouble() * keptSum;
        for (int i = 0; i < kept; i++) {
            u -= weights[i];
            if (u <= 0) return id(candidates, i);
        }
        return id(candidates, kept - 1); // rounding left u a hair above 0
    }

    private static int id(int[] candidates, int index) {
        return candidates == null ? index : candidates[index];
    }

    private static float[] penalized(float[] logits, float penalty, BitSet previousTokens) {
        if (penalty == 1f || previousTokens.isEmpty()) return logits;
        float[] scores = logits.clone();
        for (int t = previousTokens.nextSetBit(0); t >= 0 && t < scores.length; t = previousTokens.nextSetBit(t + 1)) {
            scores[t] = scores[t] > 0 ? scores[t] / penalty : scores[t] * penalty;
        }
        return scores;
    }

    /**
     * Token ids by descending score (ties by ascending id), cut to the first {@code topK} unless it is
     * {@link SamplingOptions#NO_TOP_K}. Sorts packed (score, id) longs: no boxing on vocabularies of 100k+ tokens.
     */
    static int[] mostLikelyFirst(float[] scores, int topK) {
        long[] keys = new long[scores.length];
        for (int i = 0; i < scores.length; i++) keys[i] = ((long) descendingOrder(scores[i]) << 32) | i;
        Arrays.sort(keys);
        int n = topK == SamplingOptions.NO_TOP_K ? scores.length : Math.min(topK, scores.length);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = (int) keys[i];
        return ids;
    }

    /** An int whose signed order is the reverse of the floats' order (larger float = smaller int). */
    private static int descendingOrder(float score) {
        int bits = Float.floatToIntBits(score);
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff);
        return ~ascending;
    }

    /** How many of the leading (most likely first) weights it takes to reach {@code topP} of {@code sum}; at least one. */
    private static int nucleus(double[] weights, double sum, float topP) {
        if (topP >= 1f) return weights.length;
        double cumulative = 0;
        for (int i = 0; i < weights.length; i++) {
            cumulative += weights[i];
            if (cumulative >= topP * sum) return i + 1;
        }
        return weights.length;
    }
}
