package io.github.chunkkv.convert;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** llama2.c's encode() (run.c), re-stated as the oracle for the converted tokenizer: merge the best-scoring pair first. */
final class Llama2cReferenceEncoder {
    private final Llama2cVocab vocab;
    private final Map<String, Integer> ids = new HashMap<>();

    Llama2cReferenceEncoder(Llama2cVocab vocab) {
        this.vocab = vocab;
        for (int i = 0; i < vocab.size(); i++) ids.put(vocab.pieces().get(i), i);
    }

    /** BOS, then the text with llama2.c's dummy-prefix space. */
    List<Integer> encode(String text) {
        List<Integer> tokens = new ArrayList<>();
        String s = (text.isEmpty() ? "" : " " + text).replace(" ", Llama2cVocab.SPACE_MARK);
        s.codePoints().forEach(cp -> {
            Integer id = ids.get(Character.toString(cp));
            if (id != null) tokens.add(id);
            else for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) tokens.add(Byte.toUnsignedInt(b) + Llama2cVocab.FIRST_BYTE_TOKEN);
        });
        while (true) {
            float best = -1e10f;
            int bestIdx = -1, bestId = -1;
            for (int i = 0; i + 1 < tokens.size(); i++) {
                Integer id = ids.get(vocab.pieces().get(tokens.get(i)) + vocab.pieces().get(tokens.get(i + 1)));
                if (id != null && vocab.scores()[id] > best) {
                    best = vocab.scores()[id];
                    bestIdx = i;
                    bestId = id;
                }
            }
            if (bestIdx < 0) break;
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        tokens.add(0, 1);
        return tokens;
    }
}
