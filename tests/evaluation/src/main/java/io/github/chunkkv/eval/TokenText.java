package io.github.chunkkv.eval;

import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Token ids back to text. Jlama's own decode mishandles byte-fallback tokens ({@code <0x0A>} and other ASCII bytes are
 * buffered as if they were UTF-8 continuation bytes and dropped), so those are turned into bytes here and every other
 * token goes through Jlama's tokenizer; the bytes are decoded as UTF-8 at the end.
 */
public final class TokenText {
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x([0-9A-Fa-f]{2})>");
    private final Tokenizer tokenizer;

    public TokenText(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public String decode(int[] tokens, int from, int to) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            int t = tokens[i];
            if (tokenizer.getModel().isSpecialToken(t)) continue;
            String piece = tokenizer.getModel().vocabLookup.inverse().get((long) t);
            Matcher m = piece == null ? null : BYTE_TOKEN.matcher(piece);
            if (m != null && m.matches()) bytes.write(Integer.parseInt(m.group(1), 16));
            else bytes.writeBytes(tokenizer.decode(t).getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    public String decode(int[] tokens) {
        return decode(tokens, 0, tokens.length);
    }

    /** One token as shown in a token map: its text, with byte tokens decoded on their own. */
    public String piece(int token) {
        return decode(new int[] {token});
    }
}
