package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DistributionsTest {
    @Test
    void klOfKnownDistributions() {
        float[] p = {(float) Math.log(0.5), (float) Math.log(0.5)};
        float[] q = {(float) Math.log(0.9), (float) Math.log(0.1)};
        double expected = 0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1);
        assertEquals(expected, Distributions.kl(p, q), 1e-6);
        assertEquals(0.0, Distributions.kl(q, q));
        assertEquals(0.0, Distributions.kl(new float[] {1, 2, 3}, new float[] {11, 12, 13}), 1e-12, "shift-invariant");
        assertThrows(IllegalArgumentException.class, () -> Distributions.kl(p, new float[3]));
    }

    @Test
    void jaccardOfSortedPositionLists() {
        assertEquals(0.5, LayerJaccard.jaccard(new int[] {1, 2, 3}, new int[] {2, 3, 4}));
        assertEquals(1.0, LayerJaccard.jaccard(new int[] {}, new int[] {}));
        assertEquals(0.0, LayerJaccard.jaccard(new int[] {1}, new int[] {2}));
    }
}
