package io.github.chunkkv.convert;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a Hugging Face tokenizer.json (BPE with byte fallback) that tokenizes like llama2.c's encoder.
 *
 * <p>llama2.c repeatedly merges the adjacent pair whose concatenation is the vocabulary piece with the highest score;
 * Jlama's BPE merges the pair with the lowest merge rank. So every way to split a piece into two vocabulary pieces
 * becomes a merge, ranked by descending score of the merged piece. (Where two different splits of the same piece are
 * mergeable at once, llama2.c takes the leftmost and Jlama the lower rank; sentencepiece vocabularies make this rare.)
 * The normalizer reproduces llama2.c's dummy-prefix space and sentencepiece's ▁ for spaces.
 */
public final class SentencePieceTokenizerJson {
    private SentencePieceTokenizerJson() {}

    public static Map<String, Object> tokenizer(Llama2cVocab vocab) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (int id = 0; id < vocab.size(); id++) ids.put(vocab.pieces().get(id), id);

        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("unk_token", Llama2cVocab.UNK);
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("vocab", ids);
        model.put("merges", merges(vocab));

        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("version", "1.0");
        tok.put("added_tokens", List.of(special(0, Llama2cVocab.UNK), special(1, Llama2cVocab.BOS), special(2, Llama2cVocab.EOS)));
        tok.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Prepend", "prepend", Llama2cVocab.SPACE_MARK),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", Llama2cVocab.SPACE_MARK))));
        tok.put("decoder", Map.of("type", "Sequence", "decoders", List.of(
                Map.of("type", "Replace", "pattern", Map.of("String", Llama2cVocab.SPACE_MARK), "content", " "),
                Map.of("type", "ByteFallback"),
                Map.of("type", "Fuse"),
                Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0))));
        tok.put("model", model);
        return tok;
    }

    public static Map<String, Object> tokenizerConfig(int maxLength) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("tokenizer_class", "LlamaTokenizer");
        cfg.put("bos_token", Llama2cVocab.BOS);
        cfg.put("eos_token", Llama2cVocab.EOS);
        cfg.put("unk_token", Llama2cVocab.UNK);
        cfg.put("add_bos_token", true);
        cfg.put("add_eos_token", false);
        cfg.put("legacy", false);
        cfg.put("model_max_length", maxLength);
        return cfg;
    }

    /** Every (left, right) split of a piece into two vocabulary pieces, highest merged-piece score first. */
    static List<List<String>> merges(Llama2cVocab vocab) {
        Map<String, Integer> pieceIds = new HashMap<>();
        for (int id = Llama2cVocab.FIRST_PIECE; id < vocab.size(); id++) pieceIds.put(vocab.pieces().get(id), id);
        record Merge(String left, String right, int mergedId) {}
        List<Merge> merges = new ArrayList<>();
        for (int id = Llama2cVocab.FIRST_PIECE; id < vocab.size(); id++) {
            String piece = vocab.pieces().get(id);
            for (int cut = piece.offsetByCodePoints(0, 1); cut < piece.length(); cut = piece.offsetByCodePoints(cut, 1)) {
                String left = piece.substring(0, cut), right = piece.substring(cut);
                if (pieceIds.containsKey(left) && pieceIds.containsKey(right)) merges.add(new Merge(left, right, id));
            }
        }
        merges.sort(Comparator.comparingDouble((Merge m) -> -vocab.scores()[m.mergedId()]).thenComparingInt(Merge::mergedId));
        return merges.stream().map(m -> List.of(m.left(), m.right())).toList();
    }

    private static Map<String, Object> special(int id, String content) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
        return t;
    }
}
