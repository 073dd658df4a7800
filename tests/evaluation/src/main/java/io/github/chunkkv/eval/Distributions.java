package io.github.chunkkv.eval;

/** Next-token distributions from raw logits. */
public final class Distributions {
    private Distributions() {}

    /** log softmax(logits), in double precision. */
    public static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = logits[i] - logZ;
        return out;
    }

    /** KL(p || q) in nats, from the logits of p and q. Exactly 0 when the logits are equal. */
    public static double kl(float[] pLogits, float[] qLogits) {
        if (pLogits.length != qLogits.length) throw new IllegalArgumentException("logit vectors differ in length: " + pLogits.length + " vs " + qLogits.length);
        double[] lp = logSoftmax(pLogits), lq = logSoftmax(qLogits);
        double kl = 0;
        for (int i = 0; i < lp.length; i++) if (lp[i] != lq[i]) kl += Math.exp(lp[i]) * (lp[i] - lq[i]);
        return Math.max(0, kl);
    }
}
