package io.github.chunkkv.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.chunkkv.simd.Kernels;
import io.github.chunkkv.simd.ScalarKernels;
import org.junit.jupiter.api.Test;

/** The scorers against their definitions, computed literally step by step: mean over rows, pool per head, reduce heads. */
class ScorersTest {
    private static final Kernels K = Kernels.preferred();

    @Test
    void windowScoresAreMeanOverRowsPooledPerHeadGroupAveragedAndSummedOverKvHeads() {
        int n = 150, window = 20, kernel = 5, len = n - window;
        AttentionObservation obs = Layers.random(n, window, 3).attention();
        int group = obs.numHeads() / obs.numKvHeads();
        float[] expected = new float[len], pooled = new float[len], mean = new float[len];
        for (int h = 0; h < obs.numHeads(); h++) {
            for (int j = 0; j < len; j++) mean[j] = obs.columnSums()[h * n + j] / window;
            ScalarKernels.INSTANCE.avgPool(mean, 0, len, kernel, pooled, 0);
            for (int j = 0; j < len; j++) expected[j] += pooled[j] / group;
        }
        float[] actual = new WindowAttentionScorer(K, window, kernel).score(obs);
        assertEquals(len, actual.length);
        for (int j = 0; j < len; j++) assertEquals(expected[j], actual[j], 1e-5f * expected[j], "position " + j);
    }

    @Test
    void accumulatedScoresDivideEachColumnByTheRowsThatSawIt() {
        int n = 60, rows = 60, window = 8, heads = 2;
        float[] sums = new float[heads * n];
        // Every row that can see column j gives it 0.25 in each head: the normalised score is 0.25 everywhere.
        for (int h = 0; h < heads; h++) for (int j = 0; j < n; j++) sums[h * n + j] = 0.25f * Math.min(rows, n - j);
        float[] scores = new AccumulatedAttentionScorer(K, window).score(new AttentionObservation(sums, rows, heads, 1, n));
        assertEquals(n - window, scores.length);
        for (float s : scores) assertEquals(0.25f, s, 1e-6f);
    }

    @Test
    void accumulatedScoresHandleAPartialObservation() {
        int n = 10, rows = 4;
        float[] sums = new float[n];
        for (int j = 0; j < n; j++) sums[j] = Math.min(rows, n - j); // columns 7.. are seen by fewer rows
        float[] scores = new AccumulatedAttentionScorer(K, 1).score(new AttentionObservation(sums, rows, 1, 1, n));
        for (float s : scores) assertEquals(1f, s, 1e-6f);
    }

    @Test
    void observedQueries() {
        assertEquals(32, new WindowAttentionScorer(K, 32, 5).observedQueries(500));
        assertEquals(20, new WindowAttentionScorer(K, 32, 5).observedQueries(20));
        assertEquals(500, new AccumulatedAttentionScorer(K, 32).observedQueries(500));
    }

    @Test
    void rejectsHeadCountsThatAreNotGroups() {
        AttentionObservation bad = new AttentionObservation(new float[3 * 50], 4, 3, 2, 50);
        assertThrows(IllegalArgumentException.class, () -> new WindowAttentionScorer(K, 8, 5).score(bad));
        AttentionObservation noRows = new AttentionObservation(new float[50], 0, 1, 1, 50);
        assertThrows(IllegalArgumentException.class, () -> new AccumulatedAttentionScorer(K, 8).score(noRows));
    }
}
