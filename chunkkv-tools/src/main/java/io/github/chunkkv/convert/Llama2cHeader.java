package io.github.chunkkv.convert;

import java.nio.ByteBuffer;

/**
 * The seven little-endian int32 values that open a llama2.c checkpoint. A negative vocabulary size there means the
 * file carries its own classifier; a positive one means the classifier is the token embedding (shared).
 */
public record Llama2cHeader(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int seqLen,
        boolean sharedClassifier) {
    public static final int BYTES = 7 * Integer.BYTES;
    /** "ak42" as little-endian int32: the magic of llama2.c's newer export versions, which this reader does not handle. */
    private static final int VERSIONED_MAGIC = 0x616b3432;

    public Llama2cHeader {
        positive("dim", dim);
        positive("hidden_dim", hiddenDim);
        positive("n_layers", layers);
        positive("n_heads", heads);
        positive("n_kv_heads", kvHeads);
        positive("vocab_size", vocabSize);
        positive("seq_len", seqLen);
        if (dim % heads != 0) throw new IllegalArgumentException("dim (" + dim + ") must be a multiple of n_heads (" + heads + ")");
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("n_heads (" + heads + ") must be a multiple of n_kv_heads (" + kvHeads + ")");
        }
        if ((dim / heads) % 2 != 0) throw new IllegalArgumentException("head size (" + dim / heads + ") must be even for RoPE");
    }

    /** Reads the header from the start of {@code buffer} (little-endian) and validates it. */
    public static Llama2cHeader read(ByteBuffer buffer) {
        if (buffer.remaining() < BYTES) {
            throw new IllegalArgumentException("llama2.c checkpoint is too short for its " + BYTES + "-byte header: " + buffer.remaining() + " bytes");
        }
        if (buffer.getInt(0) == VERSIONED_MAGIC) {
            throw new IllegalArgumentException("llama2.c checkpoint starts with magic 'ak42' (export version " + buffer.getInt(4)
                    + "); only the legacy version-0 layout that run.c reads is supported (export with --version 0)");
        }
        int[] v = new int[7];
        for (int i = 0; i < 7; i++) v[i] = buffer.getInt(i * Integer.BYTES);
        return new Llama2cHeader(v[0], v[1], v[2], v[3], v[4], Math.abs(v[5]), v[6], v[5] > 0);
    }

    public int headSize() {
        return dim / heads;
    }

    public int kvDim() {
        return kvHeads * headSize();
    }

    /** Float32 values after the header, exactly as llama2.c writes them (legacy RoPE tables included). */
    public long floatCount() {
        long perLayer = 2L * dim // rms_att, rms_ffn
                + 2L * dim * dim // wq, wo
                + 2L * dim * kvDim() // wk, wv
                + 3L * dim * hiddenDim; // w1, w2, w3
        return (long) vocabSize * dim + layers * perLayer + dim + (long) seqLen * headSize() + (sharedClassifier ? 0 : (long) vocabSize * dim);
    }

    private static void positive(String name, int value) {
        if (value <= 0) throw new IllegalArgumentException("llama2.c header field " + name + " must be > 0, got " + value);
    }
}
