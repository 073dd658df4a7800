package io.github.chunkkv.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer of a random-weight model: a BPE tokenizer.json without merges whose vocabulary is the three special
 * tokens ({@code <unk>}, {@code <s>}, {@code </s>}) followed by the given pieces, so text made of the pieces encodes
 * one token per piece; and a tokenizer_config.json with a plain "role: content" chat template so prompt support works.
 */
public final class PieceTokenizerJson {
    /** Id of the first piece after the special tokens. */
    public static final int FIRST_PIECE = 3;

    private static final ObjectMapper JSON = new ObjectMapper();

    private PieceTokenizerJson() {}

    /** Writes tokenizer.json and tokenizer_config.json into {@code dir}. */
    public static void write(Path dir, List<String> pieces) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (String piece : pieces) {
            if (vocab.putIfAbsent(piece, vocab.size()) != null) throw new IllegalArgumentException("duplicate piece '" + piece + "'");
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("unk_token", "<unk>");
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", List.of());
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("version", "1.0");
        tok.put("added_tokens", List.of(
                Map.of("id", 0, "content", "<unk>", "special", true),
                Map.of("id", 1, "content", "<s>", "special", true),
                Map.of("id", 2, "content", "</s>", "special", true)));
        tok.put("model", model);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer.json").toFile(), tok);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("bos_token", "<s>");
        cfg.put("eos_token", "</s>");
        cfg.put("chat_template", "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}");
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);
    }
}
