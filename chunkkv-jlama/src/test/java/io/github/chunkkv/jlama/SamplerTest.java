package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Each sampling parameter against its definition, on random logits of awkward sizes. */
class SamplerTest {
    private static final BitSet NONE = new BitSet();

    @Test
    void mostLikelyFirstIsADescendingSortWithTiesByIdAndAnOptionalCut() {
        for (int n : new int[] {1, 2, 7, 33, 1000}) {
            float[] scores = randomLogits(n, n);
            if (n > 3) scores[1] = scores[2] = scores[n - 1]; // ties
            if (n > 4) scores[3] = -0f;
            Integer[] expected = new Integer[n];
            for (int i = 0; i < n; i++) expected[i] = i;
            Arrays.sort(expected, (a, b) -> scores[a] != scores[b] ? Float.compare(scores[b], scores[a]) : Integer.compare(a, b));
            int[] all = Sampler.mostLikelyFirst(scores, SamplingOptions.NO_TOP_K);
            assertArrayEquals(Arrays.stream(expected).mapToInt(Integer::intValue).toArray(), all, "n=" + n);
            int k = Math.max(1, n / 3);
            assertArrayEquals(Arrays.copyOf(all, k), Sampler.mostLikelyFirst(scores, k));
            assertEquals(n, Sampler.mostLikelyFirst(scores, n + 5).length);
        }
        assertEquals(0, Sampler.mostLikelyFirst(new float[0], SamplingOptions.NO_TOP_K).length);
    }

    @Test
    void greedyIsArgmaxAndTopKOneIsGreedyAtAnyTemperature() {
        Random random = new Random(1);
        for (int n : new int[] {1, 5, 129}) {
            float[] logits = randomLogits(n, 10 + n);
            int best = Sampler.argmax(logits);
            assertEquals(best, Sampler.sample(logits, SamplingOptions.greedy(), NONE, random));
            SamplingOptions topOne = SamplingOptions.temperature(5f).withTopK(1);
            for (int i = 0; i < 20; i++) assertEquals(best, Sampler.sample(logits, topOne, NONE, random));
        }
    }

    @Test
    void topKDrawsOnlyFromTheKMostLikelyAndReachesEachOfThem() {
        float[] logits = randomLogits(101, 2);
        int k = 7;
        Set<Integer> allowed = new HashSet<>();
        for (int id : Sampler.mostLikelyFirst(logits, k)) allowed.add(id);
        Set<Integer> drawn = new HashSet<>();
        Random random = new Random(3);
        SamplingOptions options = SamplingOptions.temperature(100f).withTopK(k); // nearly uniform over the k
        for (int i = 0; i < 2000; i++) drawn.add(Sampler.sample(logits, options, NONE, random));
        assertEquals(allowed, drawn);
    }

    @Test
    void topPKeepsTheSmallestSetReachingThePThatFollowsFromTheProbabilities() {
        // softmax of ln(p) at temperature 1 is p: 0.5, 0.3, 0.15, 0.05 (shuffled ids)
        float[] logits = {(float) Math.log(0.15), (float) Math.log(0.5), (float) Math.log(0.05), (float) Math.log(0.3)};
        assertEquals(Set.of(1), drawnIds(logits, 0.4f));
        assertEquals(Set.of(1, 3), drawnIds(logits, 0.75f)); // 0.5 < 0.75 <= 0.5 + 0.3
        assertEquals(Set.of(1, 3, 0), drawnIds(logits, 0.85f));
        assertEquals(Set.of(0, 1, 2, 3), drawnIds(logits, 1f));
    }

    @Test
    void drawFrequenciesFollowTheTemperedSoftmax() {
        float[] logits = {1f, 2f, 0.5f};
        float temperature = 0.7f;
        double[] p = new double[3];
        double sum = 0;
        for (int i = 0; i < 3; i++) sum += p[i] = Math.exp(logits[i] / temperature);
        int[] counts = new int[3];
        int draws = 40_000;
        Random random = new Random(11);
        for (int i = 0; i < draws; i++) counts[Sampler.sample(logits, SamplingOptions.temperature(temperature), NONE, random)]++;
        for (int i = 0; i < 3; i++) assertEquals(p[i] / sum, counts[i] / (double) draws, 0.01, "token " + i);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokensOnly() {
        float[] logits = {3f, 2.5f, -1f, -0.5f};
        BitSet seen = new BitSet();
        seen.set(0);
        seen.set(3);
        SamplingOptions penalized = SamplingOptions.greedy().withRepetitionPenalty(2f);
        // 3/2 = 1.5 < 2.5: token 1 wins; the negative seen logit falls to -1 (below -0.5), the unseen one stays
        assertEquals(1, Sampler.sample(logits, penalized, seen, new Random(0)));
        assertEquals(0, Sampler.sample(logits, SamplingOptions.greedy(), seen, new Random(0)));
        float[] negative = {-1f, -0.6f};
        BitSet second = new BitSet();
        second.set(1);
        assertEquals(0, Sampler.sample(negative, penalized, second, new Random(0)), "-0.6 * 2 = -1.2 < -1");
        float[] copy = logits.clone();
        Sampler.sample(logits, penalized.withTopK(2), seen, new Random(0));
        assertArrayEquals(copy, logits, "the caller's logits are not changed");
    }

    @Test
    void theSameGeneratorStateDrawsTheSameTokens() {
        float[] logits = randomLogits(257, 4);
        SamplingOptions options = SamplingOptions.temperature(1.3f).withTopP(0.9f).withTopK(50);
        int[] a = new int[50];
        int[] b = new int[50];
        SplittableRandom ra = new SplittableRandom(7);
        SplittableRandom rb = new SplittableRandom(7);
        for (int i = 0; i < 50; i++) {
            a[i] = Sampler.sample(logits, options, NONE, ra);
            b[i] = Sampler.sample(logits, options, NONE, rb);
        }
        assertArrayEquals(a, b);
        assertNotEquals(1, Arrays.stream(a).distinct().count(), "a warm draw varies");
    }

    @Test
    void outOfRangeOptionsNameTheParameterAndRange() {
        assertMessage(() -> SamplingOptions.temperature(1f).withTopP(0f), "topP must be in (0, 1]");
        assertMessage(() -> SamplingOptions.temperature(1f).withTopP(1.01f), "topP");
        assertMessage(() -> SamplingOptions.temperature(1f).withTopP(Float.NaN), "topP");
        assertMessage(() -> SamplingOptions.temperature(1f).withTopK(0), "topK must be >= 1");
        assertMessage(() -> SamplingOptions.temperature(1f).withTopK(-3), "topK");
        assertMessage(() -> SamplingOptions.greedy().withRepetitionPenalty(0f), "repetitionPenalty must be a finite number > 0");
        assertMessage(() -> SamplingOptions.greedy().withRepetitionPenalty(Float.POSITIVE_INFINITY), "repetitionPenalty");
        assertEquals(42L, SamplingOptions.greedy().withSeed(42).seed().getAsLong());
        assertTrue(SamplingOptions.greedy().seed().isEmpty());
    }

    private static Set<Integer> drawnIds(float[] logits, float topP) {
        Set<Integer> drawn = new HashSet<>();
        Random random = new Random(5);
        SamplingOptions options = SamplingOptions.temperature(1f).withTopP(topP);
        for (int i = 0; i < 3000; i++) drawn.add(Sampler.sample(logits, options, NONE, random));
        return drawn;
    }

    private static float[] randomLogits(int n, long seed) {
        Random random = new Random(seed);
        float[] logits = new float[n];
        for (int i = 0; i < n; i++) logits[i] = (float) random.nextGaussian() * 3f;
        return logits;
    }

    private static void assertMessage(Runnable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
