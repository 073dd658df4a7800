package io.github.chunkkv.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A llama2.c tokenizer file (e.g. tok512.bin): int32 max_token_length, then per token float32 score, int32 byte
 * length and the UTF-8 bytes. Ids 0, 1, 2 are unk, BOS, EOS; ids 3..258 are the byte tokens {@code <0xNN>}; the rest
 * are sentencepiece pieces, which llama2.c stores with plain spaces where sentencepiece writes ▁.
 */
public record Llama2cVocab(List<String> pieces, float[] scores) {
    public static final String SPACE_MARK = "\u2581";
    public static final String UNK = "<unk>", BOS = "<s>", EOS = "</s>";
    public static final int FIRST_BYTE_TOKEN = 3, FIRST_PIECE = FIRST_BYTE_TOKEN + 256;

    /** Reads and validates a tokenizer file whose vocabulary must have {@code vocabSize} tokens. */
    public static Llama2cVocab read(Path file, int vocabSize) throws IOException {
        if (vocabSize <= FIRST_PIECE) {
            throw new IllegalArgumentException("vocab_size must exceed " + FIRST_PIECE + " (3 specials + 256 byte tokens), got " + vocabSize);
        }
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int maxLength = need(in, 4, file, "max_token_length").getInt();
        if (maxLength <= 0) throw new IllegalArgumentException("tokenizer " + file + ": max_token_length must be > 0, got " + maxLength);
        List<String> pieces = new ArrayList<>(vocabSize);
        float[] scores = new float[vocabSize];
        Set<String> seen = new HashSet<>();
        for (int id = 0; id < vocabSize; id++) {
            scores[id] = need(in, 8, file, "token " + id).getFloat();
            int length = in.getInt();
            if (length < 0 || length > maxLength) {
                throw new IllegalArgumentException("tokenizer " + file + ": token " + id + " has length " + length + ", allowed [0, " + maxLength + "]");
            }
            byte[] bytes = new byte[length];
            need(in, length, file, "token " + id).get(bytes);
            String piece = pieceOf(id, bytes, file);
            if (!seen.add(piece)) throw new IllegalArgumentException("tokenizer " + file + ": token " + id + " '" + piece + "' appears twice");
            pieces.add(piece);
        }
        if (in.hasRemaining()) {
            throw new IllegalArgumentException("tokenizer " + file + " has " + in.remaining() + " bytes after its " + vocabSize
                    + " tokens: it does not belong to a model with vocab_size " + vocabSize);
        }
        return new Llama2cVocab(List.copyOf(pieces), scores);
    }

    public int size() {
        return pieces.size();
    }

    /** True for the byte-fallback tokens {@code <0x00>..<0xFF>}. */
    public static boolean isByteToken(int id) {
        return id >= FIRST_BYTE_TOKEN && id < FIRST_PIECE;
    }

    private static String pieceOf(int id, byte[] bytes, Path file) {
        String text = utf8(bytes, id, file);
        return switch (id) {
            case 0 -> expect(text, UNK, id, file);
            case 1 -> expect(text.strip(), BOS, id, file); // llama2.c writes "\n<s>\n"
            case 2 -> expect(text.strip(), EOS, id, file);
            default -> isByteToken(id) ? expect(text, String.format("<0x%02X>", id - FIRST_BYTE_TOKEN), id, file) : text.replace(" ", SPACE_MARK);
        };
    }

    private static String expect(String actual, String wanted, int id, Path file) {
        if (!actual.equals(wanted)) {
            throw new IllegalArgumentException("tokenizer " + file + ": token " + id + " must be '" + wanted + "', got '" + actual + "'");
        }
        return wanted;
    }

    private static String utf8(byte[] bytes, int id, Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("tokenizer " + file + ": token " + id + " is not valid UTF-8", e);
        }
    }

    private static ByteBuffer need(ByteBuffer in, int bytes, Path file, String what) {
        if (in.remaining() < bytes) {
            throw new IllegalArgumentException("tokenizer " + file + " ends inside " + what + " (needs " + bytes + " more bytes, has " + in.remaining() + ")");
        }
        return in;
    }
}
