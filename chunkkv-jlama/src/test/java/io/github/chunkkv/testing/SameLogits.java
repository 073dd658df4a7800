package io.github.chunkkv.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "The same computation gave the same logits", for two runs of one code path in one JVM. Not bitwise: the JIT may
 * compile a Vector API kernel's final lane reduction in another order between the two runs (C1 vs C2), which moves
 * the last digits (measured: about 1e-6 of the logits), so agreement is to 1e-5 of the largest logit.
 */
public final class SameLogits {
    private SameLogits() {}

    public static void assertSame(float[] expected, float[] actual, String where) {
        assertEquals(expected.length, actual.length, where + ": vocabulary size");
        float worst = 0, scale = 1;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        assertTrue(worst <= 1e-5f * scale, where + ": max |logit diff| " + worst + " (max |logit| " + scale + ")");
    }
}
