package io.github.chunkkv.eval;

import java.util.Locale;
import org.apache.commons.math3.stat.interval.ConfidenceInterval;
import org.apache.commons.math3.stat.interval.WilsonScoreInterval;

/**
 * {@code successes} of {@code trials} with the 95% Wilson score interval of the share: the interval every accuracy of
 * the evaluation carries. Wilson rather than the normal approximation because it stays inside [0, 1] and keeps its
 * coverage for few trials and for shares near 0 or 1, which is where KV-cache policies often sit.
 */
public record Proportion(int successes, int trials, double low, double high) {
    private static final double CONFIDENCE = 0.95;

    public Proportion {
        check(successes, trials);
    }

    public static Proportion of(int successes, int trials) {
        check(successes, trials);
        ConfidenceInterval ci = new WilsonScoreInterval().createInterval(trials, successes, CONFIDENCE);
        // The bounds are exactly 0 at no successes and 1 at all; rounding would leave them a hair inside.
        return new Proportion(successes, trials, successes == 0 ? 0 : Math.max(0, ci.getLowerBound()),
                successes == trials ? 1 : Math.min(1, ci.getUpperBound()));
    }

    public double value() {
        return successes / (double) trials;
    }

    /**
     * Whether this share is significantly above {@code other}: its interval lies wholly above the other's. Disjoint
     * 95% intervals are a conservative test (two-sided level well below 5%), so a gap called significant is one.
     */
    public boolean clearlyAbove(Proportion other) {
        return low > other.high;
    }

    private static void check(int successes, int trials) {
        if (trials < 1) throw new IllegalArgumentException("trials must be >= 1, got " + trials);
        if (successes < 0 || successes > trials) throw new IllegalArgumentException("successes must be in [0, " + trials + "], got " + successes);
    }

    /** {@code 0.83 [0.75, 0.89]}: the share and its interval, two decimals. */
    public String describe() {
        return String.format(Locale.ROOT, "%.2f [%.2f, %.2f]", value(), low, high);
    }
}
