package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProportionTest {
    @Test
    void wilsonIntervalsMatchTheClosedForm() {
        for (int n : new int[] {1, 2, 7, 15, 105, 1000}) {
            for (int k = 0; k <= n; k += Math.max(1, n / 7)) {
                Proportion p = Proportion.of(k, n);
                double z = 1.959963984540054, phat = k / (double) n, d = 1 + z * z / n;
                double centre = (phat + z * z / (2 * n)) / d, half = z * Math.sqrt(phat * (1 - phat) / n + z * z / (4.0 * n * n)) / d;
                assertEquals(Math.max(0, centre - half), p.low(), 1e-9, k + "/" + n);
                assertEquals(Math.min(1, centre + half), p.high(), 1e-9, k + "/" + n);
                assertTrue(p.low() <= p.value() && p.value() <= p.high(), k + "/" + n);
            }
        }
    }

    @Test
    void describesTheShareAndItsInterval() {
        assertEquals("0.50 [0.24, 0.76]", Proportion.of(5, 10).describe());
        assertEquals("0.00 [0.00, 0.28]", Proportion.of(0, 10).describe());
        assertEquals("1.00 [0.72, 1.00]", Proportion.of(10, 10).describe());
    }

    @Test
    void clearlyAboveOnlyWhenTheIntervalsAreDisjoint() {
        assertTrue(Proportion.of(90, 100).clearlyAbove(Proportion.of(50, 100)));
        assertFalse(Proportion.of(55, 100).clearlyAbove(Proportion.of(45, 100)), "a 0.10 gap at n=100 overlaps");
        assertFalse(Proportion.of(50, 100).clearlyAbove(Proportion.of(90, 100)));
    }

    @Test
    void refusesImpossibleCountsNamingTheParameter() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proportion.of(0, 0)).getMessage().contains("trials must be >= 1, got 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proportion.of(3, 2)).getMessage().contains("successes must be in [0, 2], got 3"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proportion.of(-1, 2)).getMessage().contains("successes must be in [0, 2], got -1"));
    }
}
