package io.github.chunkkv.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Writes synthetic llama2.c checkpoints and tokenizers in the exact byte layout run.c reads. */
final class Llama2cFiles {
    private Llama2cFiles() {}

    /** Header values followed by {@code floats} consecutive values 0.001·k (k = 0, 1, ...), so each weight is traceable. */
    static Path checkpoint(Path file, int dim, int hidden, int layers, int heads, int kvHeads, int signedVocab, int seqLen, long floats)
            throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(Llama2cHeader.BYTES + 4 * floats)).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : new int[] {dim, hidden, layers, heads, kvHeads, signedVocab, seqLen}) b.putInt(v);
        for (long k = 0; k < floats; k++) b.putFloat(k * 0.001f);
        Files.write(file, b.array());
        return file;
    }

    /** A tokenizer with the 3 specials, 256 byte tokens and then {@code pieces} (spaces as in llama2.c), scored -index. */
    static Path tokenizer(Path file, List<String> pieces) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(16);
        put(b, 0f, "<unk>");
        put(b, 0f, "\n<s>\n");
        put(b, 0f, "\n</s>\n");
        for (int i = 0; i < 256; i++) put(b, 0f, String.format("<0x%02X>", i));
        for (int i = 0; i < pieces.size(); i++) put(b, -i, pieces.get(i));
        Files.write(file, java.util.Arrays.copyOf(b.array(), b.position()));
        return file;
    }

    /** Pieces for a small vocabulary: single characters (lowest scores last, as sentencepiece orders them) and merges. */
    static List<String> pieces(int count, long seed) {
        List<String> merged = new java.util.ArrayList<>(List.of(" t", "he", " a", " the", "in", " s", "er", "an", "on", " w"));
        String chars = " etaoinshrdlucmwfgypbvk.,";
        Random rnd = new Random(seed);
        while (merged.size() + chars.length() < count) {
            String p = "" + chars.charAt(rnd.nextInt(chars.length())) + chars.charAt(rnd.nextInt(chars.length())) + chars.charAt(rnd.nextInt(chars.length()));
            if (!merged.contains(p)) merged.add(p);
        }
        chars.chars().forEach(c -> merged.add(Character.toString(c)));
        return merged;
    }

    private static void put(ByteBuffer b, float score, String token) {
        byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
        b.putFloat(score).putInt(bytes.length).put(bytes);
    }
}
