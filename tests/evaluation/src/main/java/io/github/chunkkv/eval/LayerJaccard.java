package io.github.chunkkv.eval;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.KvSession;
import java.util.Arrays;
import java.util.List;

/** Jaccard similarity of the kept positions of adjacent layers after one compressed prefill per prompt. */
public final class LayerJaccard {
    private LayerJaccard() {}

    /** The row of one configuration (reuse should be 1, or reused layers trivially score 1). */
    public static JaccardRow measure(EvalModel model, List<int[]> prompts, String policy, ChunkKvConfig config, double keep) {
        double sum = 0;
        int pairs = 0;
        for (int[] prompt : prompts) {
            try (KvSession s = model.openSession(config)) {
                s.prefill(prompt);
                int selectable = prompt.length - config.window(); // positions at or after this are the observation window
                for (int l = 0; l + 1 < s.layers(); l++) {
                    sum += jaccard(below(s.cachedPositions(l), selectable), below(s.cachedPositions(l + 1), selectable));
                    pairs++;
                }
            }
        }
        return new JaccardRow(policy, keep, pairs == 0 ? Double.NaN : sum / pairs, pairs / prompts.size(), prompts.size());
    }

    /** |a ∩ b| / |a ∪ b| of two ascending position lists; 1 when both are empty. */
    public static double jaccard(int[] a, int[] b) {
        int i = 0, j = 0, common = 0;
        while (i < a.length && j < b.length) {
            if (a[i] == b[j]) {
                common++;
                i++;
                j++;
            } else if (a[i] < b[j]) i++;
            else j++;
        }
        int union = a.length + b.length - common;
        return union == 0 ? 1.0 : (double) common / union;
    }

    private static int[] below(int[] ascending, int limit) {
        int n = 0;
        while (n < ascending.length && ascending[n] < limit) n++;
        return Arrays.copyOf(ascending, n);
    }
}
