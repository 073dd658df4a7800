package io.github.chunkkv.testing;

/** Comparisons of logit vectors for the parity and precision tests. */
public final class Logits {
    private Logits() {}

    /** max |a[i] - b[i]|. */
    public static float maxDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("logit vectors differ in length: " + a.length + " vs " + b.length);
        float d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    /** max |a[i]|: the scale a difference is judged against. */
    public static float maxAbs(float[] a) {
        float d = 0;
        for (float v : a) d = Math.max(d, Math.abs(v));
        return d;
    }

    /** Best minus second-best logit: how far the greedy choice is from flipping. */
    public static float margin(float[] logits) {
        float best = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (v > best) {
                second = best;
                best = v;
            } else if (v > second) {
                second = v;
            }
        }
        return best - second;
    }
}
