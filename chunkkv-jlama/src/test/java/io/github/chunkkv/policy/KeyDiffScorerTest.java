package io.github.chunkkv.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.chunkkv.simd.Kernels;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** KeyDiff against a float64 reference written straight from its definition, on random layers of awkward shapes. */
class KeyDiffScorerTest {
    @ParameterizedTest(name = "n={0} window={1} kvHeads={2} headSize={3} firstRow={4}")
    @CsvSource({"9, 8, 2, 16, 0", "37, 5, 2, 5, 0", "130, 32, 3, 7, 0", "130, 32, 2, 16, 11", "2, 1, 1, 1, 0"})
    void scoresAreMinusTheCosineToTheMeanNormalisedKeySummedOverKvHeads(int n, int window, int kvHeads, int headSize, int firstRow) {
        SplittableRandom rnd = new SplittableRandom(n * 17L + kvHeads);
        int stride = kvHeads * headSize;
        float[] keys = Layers.gaussian(rnd, n * stride);
        LayerView layer = view(keys, n, kvHeads, headSize, firstRow);

        int candidates = n - firstRow;
        double[] expected = new double[candidates - window];
        for (int g = 0; g < kvHeads; g++) {
            double[] anchor = new double[headSize];
            for (int s = firstRow; s < n; s++) {
                double norm = Math.max(norm(keys, s * stride + g * headSize, headSize), 1e-12); // as torch's normalize
                for (int i = 0; i < headSize; i++) anchor[i] += keys[s * stride + g * headSize + i] / norm / candidates;
            }
            double anchorNorm = Math.sqrt(IntStream.range(0, headSize).mapToDouble(i -> anchor[i] * anchor[i]).sum());
            for (int j = 0; j < expected.length; j++) {
                int at = (firstRow + j) * stride + g * headSize;
                double dot = 0;
                for (int i = 0; i < headSize; i++) dot += keys[at + i] * anchor[i];
                expected[j] -= dot / Math.max(norm(keys, at, headSize) * anchorNorm, 1e-8); // as torch's cosine_similarity
            }
        }

        KeyDiffScorer scorer = new KeyDiffScorer(Kernels.preferred(), window);
        float[] actual = scorer.score(layer);
        assertEquals(0, scorer.observedQueries(n), "reads keys only");
        assertEquals(expected.length, actual.length);
        for (int j = 0; j < expected.length; j++) assertEquals(expected[j], actual[j], 1e-5 * kvHeads, "position " + j);
    }

    @Test
    void aZeroKeyScoresZeroInsteadOfNaN() {
        float[] keys = {1f, 0f, 0f, 0f, 0f, 1f}; // one KV head of size 2: the middle key is zero
        float[] scores = new KeyDiffScorer(Kernels.preferred(), 1).score(view(keys, 3, 1, 2, 0));
        assertEquals(0f, scores[1]);
        assertEquals(-Math.sqrt(0.5), scores[0], 1e-6);
    }

    private static LayerView view(float[] keys, int n, int kvHeads, int headSize, int firstRow) {
        int stride = kvHeads * headSize;
        return new LayerView(Kernels.preferred(), keys, new float[n * stride], IntStream.range(0, n).toArray(), stride, n, firstRow,
                kvHeads, kvHeads, headSize, new float[0], 0, 1f);
    }

    private static double norm(float[] x, int off, int len) {
        double sum = 0;
        for (int i = 0; i < len; i++) sum += (double) x[off + i] * x[off + i];
        return Math.sqrt(sum);
    }
}
