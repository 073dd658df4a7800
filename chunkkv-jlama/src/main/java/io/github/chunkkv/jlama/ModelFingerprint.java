package io.github.chunkkv.jlama;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a snapshot must match to be loaded into a model: architecture, dimensions, and a CRC32C of a few embedding
 * rows (raw weights, so the hash is the same on every machine, unlike anything computed in floating point).
 */
record ModelFingerprint(String architecture, int dim, int layers, int heads, int kvHeads, int headSize, int vocab,
        int contextLength, long weightHash) {

    void write(DataOutput out) throws IOException {
        out.writeUTF(architecture);
        for (int v : new int[] {dim, layers, heads, kvHeads, headSize, vocab, contextLength}) out.writeInt(v);
        out.writeLong(weightHash);
    }

    static ModelFingerprint read(DataInput in) throws IOException {
        return new ModelFingerprint(in.readUTF(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(),
                in.readInt(), in.readLong());
    }

    /** 16 hex digits of a SHA-256 of this fingerprint as {@link #write} writes it: the model's name in cache-store keys. */
    String id() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            write(new DataOutputStream(bytes));
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()), 0, 8);
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256 and in-memory streams do not fail", e);
        }
    }

    /** Null when {@code other} (the model loading) matches, else a sentence naming every difference. */
    String mismatch(ModelFingerprint other) {
        StringBuilder sb = new StringBuilder();
        diff(sb, "architecture", architecture, other.architecture);
        diff(sb, "dim", dim, other.dim);
        diff(sb, "layers", layers, other.layers);
        diff(sb, "heads", heads, other.heads);
        diff(sb, "kv heads", kvHeads, other.kvHeads);
        diff(sb, "head size", headSize, other.headSize);
        diff(sb, "vocabulary", vocab, other.vocab);
        diff(sb, "context length", contextLength, other.contextLength);
        diff(sb, "weight hash", Long.toHexString(weightHash), Long.toHexString(other.weightHash));
        return sb.isEmpty() ? null : "snapshot was saved from a different model: " + sb.substring(2);
    }

    private static void diff(StringBuilder sb, String what, Object saved, Object loading) {
        if (!saved.equals(loading)) sb.append(", ").append(what).append(" ").append(saved).append(" (this model: ").append(loading).append(")");
    }
}
