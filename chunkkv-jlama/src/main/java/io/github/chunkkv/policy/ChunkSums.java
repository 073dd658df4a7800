package io.github.chunkkv.policy;

/** Span sums of per-position scores through a prefix-sum table (double, so long spans do not lose small scores). */
final class ChunkSums {
    private ChunkSums() {}

    /** prefix[i] = scores[0] + ... + scores[i - 1], for i in [0, len]. */
    static double[] prefix(float[] scores, int len) {
        double[] prefix = new double[len + 1];
        for (int i = 0; i < len; i++) prefix[i + 1] = prefix[i] + scores[i];
        return prefix;
    }

    /** Sum of scores[from, to). */
    static double sum(double[] prefix, int from, int to) {
        return prefix[to] - prefix[from];
    }
}
