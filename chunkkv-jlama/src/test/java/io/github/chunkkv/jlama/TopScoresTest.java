package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.github.chunkkv.simd.ScalarKernels;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The selection equals the kernels' top-k over the scores that reach the threshold, ties toward the lower index. */
class TopScoresTest {
    @Test
    void selectsWhatTopKSelectsAmongThePassingScores() {
        SplittableRandom rnd = new SplittableRandom(3);
        TopScores top = new TopScores();
        for (int trial = 0; trial < 2000; trial++) {
            int n = rnd.nextInt(0, 300), k = rnd.nextInt(0, 40), levels = rnd.nextInt(1, 50); // few levels: many ties
            float threshold = rnd.nextBoolean() ? Float.NEGATIVE_INFINITY : (float) rnd.nextDouble(-1, 1);
            float[] scores = new float[n + 3];
            for (int i = 0; i < n; i++) scores[i] = rnd.nextInt(10) == 0 ? Float.NEGATIVE_INFINITY : (float) rnd.nextInt(levels) / levels * 2 - 1;
            scores[n] = Float.POSITIVE_INFINITY; // beyond n: never selected
            int[] passing = IntStream.range(0, n).filter(i -> scores[i] >= threshold).toArray();
            float[] passingScores = new float[passing.length];
            for (int i = 0; i < passing.length; i++) passingScores[i] = scores[passing[i]];
            int[] expected = Arrays.stream(ScalarKernels.INSTANCE.topK(passingScores, passing.length, Math.min(k, passing.length)))
                    .map(i -> passing[i]).toArray();
            int selected = top.select(scores, n, k, threshold);
            assertArrayEquals(expected, Arrays.copyOf(top.ids(), selected), "trial " + trial);
        }
    }
}
