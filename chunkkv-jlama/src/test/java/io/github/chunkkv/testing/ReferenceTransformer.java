package io.github.chunkkv.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A deliberately plain Llama/Qwen2 forward pass (double accumulation, textbook RoPE at the true position) used as the
 * reference for the compressed path: decode steps attend only to the positions a mask allows, each key rotated at its
 * original position. Optionally with given RoPE inverse frequencies (e.g. Llama 3 scaled) and a sliding window.
 */
public final class ReferenceTransformer {
    /** Which cached positions layer {@code layer} may attend to during a decode step. */
    public interface Mask {
        boolean visible(int layer, int position);
    }

    private final TinyModels.Spec s;
    private final Map<String, float[]> w;
    private final int headSize;
    private final double[] inverseFrequencies;
    private final int slidingWindow;
    private final List<List<float[]>> keys = new ArrayList<>();
    private final List<List<float[]>> values = new ArrayList<>();

    public ReferenceTransformer(TinyModels.Spec spec) {
        this(spec, defaultInverseFrequencies(spec.dim() / spec.heads()), 0);
    }

    /**
     * @param inverseFrequencies the RoPE inverse frequency of each of the headSize / 2 rotated pairs
     * @param slidingWindow positions (itself included) a token attends to; 0 = unlimited
     */
    public ReferenceTransformer(TinyModels.Spec spec, double[] inverseFrequencies, int slidingWindow) {
        this.inverseFrequencies = inverseFrequencies.clone();
        this.slidingWindow = slidingWindow;
        this.s = spec;
        this.w = TinyModels.weights(spec);
        this.headSize = spec.dim() / spec.heads();
        for (int l = 0; l < spec.layers(); l++) {
            keys.add(new ArrayList<>());
            values.add(new ArrayList<>());
        }
    }

    /** Position of the next token. */
    public int position() {
        return keys.get(0).size();
    }

    /** Runs one token at the next position, attending to every earlier position the mask allows; returns logits. */
    public float[] step(int token, Mask mask) {
        int pos = position();
        double[] x = new double[s.dim()];
        float[] emb = w.get("model.embed_tokens.weight");
        for (int i = 0; i < s.dim(); i++) x[i] = emb[token * s.dim() + i];
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            double[] h = rmsNorm(x, w.get(p + "input_layernorm.weight"));
            double[] q = matvec(w.get(p + "self_attn.q_proj.weight"), h, s.dim());
            double[] k = matvec(w.get(p + "self_attn.k_proj.weight"), h, s.kvHeads() * headSize);
            double[] v = matvec(w.get(p + "self_attn.v_proj.weight"), h, s.kvHeads() * headSize);
            if (s.qkvBias()) {
                add(q, w.get(p + "self_attn.q_proj.bias"));
                add(k, w.get(p + "self_attn.k_proj.bias"));
                add(v, w.get(p + "self_attn.v_proj.bias"));
            }
            for (int hd = 0; hd < s.heads(); hd++) rope(q, hd * headSize, pos);
            for (int g = 0; g < s.kvHeads(); g++) rope(k, g * headSize, pos);
            keys.get(l).add(toFloat(k));
            values.get(l).add(toFloat(v));
            double[] attn = new double[s.dim()];
            int group = s.heads() / s.kvHeads();
            for (int hd = 0; hd < s.heads(); hd++) {
                int kv = (hd / group) * headSize;
                double[] logits = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= pos; j++) {
                    if (j < pos && !mask.visible(l, j) || slidingWindow > 0 && j <= pos - slidingWindow) {
                        logits[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    float[] kj = keys.get(l).get(j);
                    double d = 0;
                    for (int i = 0; i < headSize; i++) d += q[hd * headSize + i] * kj[kv + i];
                    logits[j] = d / Math.sqrt(headSize);
                    max = Math.max(max, logits[j]);
                }
                double sum = 0;
                for (int j = 0; j <= pos; j++) sum += logits[j] = Math.exp(logits[j] - max);
                for (int j = 0; j <= pos; j++) {
                    double pj = logits[j] / sum;
                    if (pj == 0) continue;
                    float[] vj = values.get(l).get(j);
                    for (int i = 0; i < headSize; i++) attn[hd * headSize + i] += pj * vj[kv + i];
                }
            }
            double[] o = matvec(w.get(p + "self_attn.o_proj.weight"), attn, s.dim());
            for (int i = 0; i < s.dim(); i++) x[i] += o[i];
            double[] h2 = rmsNorm(x, w.get(p + "post_attention_layernorm.weight"));
            double[] gate = matvec(w.get(p + "mlp.gate_proj.weight"), h2, s.hidden());
            double[] up = matvec(w.get(p + "mlp.up_proj.weight"), h2, s.hidden());
            for (int i = 0; i < s.hidden(); i++) gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            double[] down = matvec(w.get(p + "mlp.down_proj.weight"), gate, s.dim());
            for (int i = 0; i < s.dim(); i++) x[i] += down[i];
        }
        double[] out = matvec(w.get("lm_head.weight"), rmsNorm(x, w.get("model.norm.weight")), s.vocab());
        return toFloat(out);
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1.0 / Math.sqrt(ss / x.length + 1e-5);
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) r[i] = x[i] * inv * weight[i];
        return r;
    }

    private static double[] matvec(float[] m, double[] x, int rows) {
        double[] r = new double[rows];
        for (int i = 0; i < rows; i++) {
            double d = 0;
            for (int j = 0; j < x.length; j++) d += m[i * x.length + j] * x[j];
            r[i] = d;
        }
        return r;
    }

    private static void add(double[] x, float[] b) {
        for (int i = 0; i < x.length; i++) x[i] += b[i];
    }

    /** The textbook RoPE inverse frequencies with base 10000. */
    public static double[] defaultInverseFrequencies(int headSize) {
        double[] inv = new double[headSize / 2];
        for (int i = 0; i < inv.length; i++) inv[i] = 1 / Math.pow(10000.0, 2.0 * i / headSize);
        return inv;
    }

    /** HF "rotate half" RoPE at the true position. */
    private void rope(double[] x, int off, int pos) {
        int half = headSize / 2;
        for (int i = 0; i < half; i++) {
            double theta = pos * inverseFrequencies[i];
            double c = Math.cos(theta), sn = Math.sin(theta);
            double a = x[off + i], b = x[off + i + half];
            x[off + i] = a * c - b * sn;
            x[off + i + half] = a * sn + b * c;
        }
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /**
     * Asserts that Jlama's float32 logits match this float64 reference (exact RoPE angles): agreement to 1e-3 of the
     * logit range.
     */
    public static void assertMatches(float[] expected, float[] actual, String where) {
        float worst = 0, scale = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        assertTrue(worst <= 1e-3f * Math.max(1f, scale), where + ": max |logit diff| " + worst + " (max |logit| " + scale + ")");
    }
}
