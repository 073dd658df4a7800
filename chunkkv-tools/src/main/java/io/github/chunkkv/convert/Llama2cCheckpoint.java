package io.github.chunkkv.convert;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Reads a llama2.c checkpoint and renames its weights to the Hugging Face Llama layout Jlama loads.
 *
 * <p>llama2.c rotates interleaved pairs (2i, 2i+1) of each head; HF/Jlama rotate halves (i, i + hs/2). The q and k
 * projections are therefore permuted row-wise within each head: HF row j·hs/2 + i = llama2.c row 2i + j.
 *
 * <p>Jlama's MLP needs an intermediate size that is a multiple of {@value #HIDDEN_MULTIPLE} (stories260K has 172), so the
 * hidden dimension is padded with zero gate/up rows and zero down columns: silu(0)·0 = 0, the output is unchanged.
 */
public final class Llama2cCheckpoint {
    static final int HIDDEN_MULTIPLE = 8;

    private Llama2cCheckpoint() {}

    /**
     * The checkpoint's header and its weights under HF names; {@code lm_head.weight} is written even when shared.
     *
     * @param intermediateSize the MLP width written (hidden_dim padded to a multiple of {@value #HIDDEN_MULTIPLE})
     */
    public record Contents(Llama2cHeader header, int intermediateSize, HfTensors tensors) {}

    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            map.order(ByteOrder.LITTLE_ENDIAN);
            Llama2cHeader h = Llama2cHeader.read(map);
            long expected = Llama2cHeader.BYTES + Float.BYTES * h.floatCount();
            if (ch.size() != expected) {
                throw new IllegalArgumentException("llama2.c checkpoint " + file + " has " + ch.size() + " bytes, but its header " + h
                        + " needs exactly " + expected);
            }
            return new Contents(h, paddedHidden(h), convert(h, map.position(Llama2cHeader.BYTES).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()));
        }
    }

    static int paddedHidden(Llama2cHeader h) {
        return (h.hiddenDim() + HIDDEN_MULTIPLE - 1) / HIDDEN_MULTIPLE * HIDDEN_MULTIPLE;
    }

    private static HfTensors convert(Llama2cHeader h, FloatBuffer in) {
        int d = h.dim(), kv = h.kvDim(), hid = h.hiddenDim(), n = h.layers(), padded = paddedHidden(h);
        float[] embedding = take(in, h.vocabSize() * d);
        float[][] rmsAtt = takeLayers(in, n, d);
        float[][] wq = takeLayers(in, n, d * d);
        float[][] wk = takeLayers(in, n, kv * d);
        float[][] wv = takeLayers(in, n, kv * d);
        float[][] wo = takeLayers(in, n, d * d);
        float[][] rmsFfn = takeLayers(in, n, d);
        float[][] w1 = takeLayers(in, n, hid * d);
        float[][] w2 = takeLayers(in, n, d * hid);
        float[][] w3 = takeLayers(in, n, hid * d);
        float[] rmsFinal = take(in, d);
        in.position(in.position() + h.seqLen() * h.headSize()); // legacy RoPE tables: 2 x seq_len x head_size/2
        float[] classifier = h.sharedClassifier() ? embedding : take(in, h.vocabSize() * d);

        HfTensors t = new HfTensors();
        t.put("model.embed_tokens.weight", embedding, h.vocabSize(), d);
        for (int l = 0; l < n; l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", rmsAtt[l], d);
            t.put(p + "self_attn.q_proj.weight", interleavedToHalves(wq[l], h.heads(), h.headSize(), d), d, d);
            t.put(p + "self_attn.k_proj.weight", interleavedToHalves(wk[l], h.kvHeads(), h.headSize(), d), kv, d);
            t.put(p + "self_attn.v_proj.weight", wv[l], kv, d);
            t.put(p + "self_attn.o_proj.weight", wo[l], d, d);
            t.put(p + "post_attention_layernorm.weight", rmsFfn[l], d);
            t.put(p + "mlp.gate_proj.weight", Arrays.copyOf(w1[l], padded * d), padded, d);
            t.put(p + "mlp.down_proj.weight", padColumns(w2[l], d, hid, padded), d, padded);
            t.put(p + "mlp.up_proj.weight", Arrays.copyOf(w3[l], padded * d), padded, d);
        }
        t.put("model.norm.weight", rmsFinal, d);
        t.put("lm_head.weight", classifier, h.vocabSize(), d);
        return t;
    }

    /** Permutes the rows of a [heads·hs, cols] projection from interleaved-pair RoPE order to half-split order. */
    static float[] interleavedToHalves(float[] w, int heads, int headSize, int cols) {
        float[] out = new float[w.length];
        int half = headSize / 2;
        for (int head = 0; head < heads; head++) {
            int base = head * headSize;
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(w, (base + 2 * i + j) * cols, out, (base + j * half + i) * cols, cols);
                }
            }
        }
        return out;
    }

    private static float[] padColumns(float[] w, int rows, int cols, int paddedCols) {
        if (cols == paddedCols) return w;
        float[] out = new float[rows * paddedCols];
        for (int r = 0; r < rows; r++) System.arraycopy(w, r * cols, out, r * paddedCols, cols);
        return out;
    }

    private static float[] take(FloatBuffer in, int count) {
        float[] a = new float[count];
        in.get(a);
        return a;
    }

    private static float[][] takeLayers(FloatBuffer in, int layers, int perLayer) {
        float[][] a = new float[layers][];
        for (int l = 0; l < layers; l++) a[l] = take(in, perLayer);
        return a;
    }
}
