package io.github.chunkkv.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.chunkkv.simd.Kernels;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** TOVA against a float64 reference written straight from its definition, on random layers of awkward shapes. */
class TovaScorerTest {
    @ParameterizedTest(name = "n={0} window={1} heads={2}/{3} headSize={4} firstRow={5}")
    @CsvSource({"9, 8, 4, 2, 16, 0", "37, 5, 6, 2, 5, 0", "130, 32, 3, 3, 7, 0", "130, 32, 8, 2, 16, 11", "2, 1, 1, 1, 1, 0"})
    void scoresAreTheLastQueryAttentionGroupAveragedAndSummedOverKvHeads(int n, int window, int heads, int kvHeads, int headSize,
            int firstRow) {
        SplittableRandom rnd = new SplittableRandom(n * 31L + heads);
        int stride = kvHeads * headSize;
        float[] keys = Layers.gaussian(rnd, n * stride), query = Layers.gaussian(rnd, heads * headSize);
        float scale = (float) (1 / Math.sqrt(headSize));
        TovaScorer scorer = new TovaScorer(Kernels.preferred(), window);
        int rows = scorer.observedQueries(n - firstRow);
        LayerView layer = new LayerView(Kernels.preferred(), keys, new float[n * stride], IntStream.range(0, n).toArray(), stride, n, firstRow,
                heads, kvHeads, headSize, query, rows, scale);

        int candidates = n - firstRow, group = heads / kvHeads;
        double[] expected = new double[candidates - window];
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            double[] logits = new double[n];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < n; j++) { // the last row sees the whole cache, earlier turns' rows included
                for (int i = 0; i < headSize; i++) logits[j] += (double) query[h * headSize + i] * keys[j * stride + g * headSize + i];
                logits[j] *= scale;
                max = Math.max(max, logits[j]);
            }
            for (int j = 0; j < n; j++) sum += Math.exp(logits[j] - max);
            for (int j = 0; j < expected.length; j++) expected[j] += Math.exp(logits[firstRow + j] - max) / sum / group;
        }

        float[] actual = scorer.score(layer);
        assertEquals(1, rows);
        assertEquals(expected.length, actual.length);
        for (int j = 0; j < expected.length; j++) assertEquals(expected[j], actual[j], 1e-5 + 1e-4 * expected[j], "position " + j);
    }
}
