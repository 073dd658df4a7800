package io.github.chunkkv.testing;

import java.util.SplittableRandom;

/** Random test inputs. */
public final class RandomArrays {
    private RandomArrays() {}

    /** {@code len} floats drawn uniformly from [-1, 1). */
    public static float[] uniform(SplittableRandom rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        return x;
    }
}
