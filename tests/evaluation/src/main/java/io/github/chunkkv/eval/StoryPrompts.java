package io.github.chunkkv.eval;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Fidelity prompts the model writes itself: from BOS, sample at a fixed temperature with a fixed seed per prompt,
 * with a full cache, until the prompt has its drawn length. An end-of-text token starts a new story (BOS), as in the
 * model's training stream. In-distribution text keeps the comparison about the cache, not about odd inputs.
 */
public final class StoryPrompts {
    public static final float TEMPERATURE = 0.8f;

    private StoryPrompts() {}

    /**
     * {@code count} prompts with lengths drawn uniformly from [minLength, maxLength], prompt i seeded with
     * {@code seed + i}.
     */
    public static List<int[]> generate(EvalModel model, int count, int minLength, int maxLength, long seed) {
        if (count < 1) throw new IllegalArgumentException("prompt count must be >= 1, got " + count);
        if (minLength < 2 || maxLength < minLength || maxLength > model.maxPositions()) {
            throw new IllegalArgumentException("prompt lengths must satisfy 2 <= min <= max <= " + model.maxPositions() + ", got [" + minLength + ", " + maxLength + "]");
        }
        List<int[]> prompts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Random random = new Random(seed + i);
            int length = minLength + random.nextInt(maxLength - minLength + 1);
            prompts.add(sample(model, length, random));
        }
        return prompts;
    }

    private static int[] sample(EvalModel model, int length, Random random) {
        int[] tokens = new int[length];
        tokens[0] = model.bosToken();
        try (KvSession session = model.openSession(ChunkKvConfig.full())) {
            float[] logits = session.prefill(new int[] {tokens[0]});
            for (int i = 1; i < length; i++) {
                int next = Sampler.sample(logits, TEMPERATURE, random);
                tokens[i] = model.isEos(next) ? model.bosToken() : next;
                if (i + 1 < length) logits = session.decode(tokens[i]);
            }
        }
        return tokens;
    }
}
