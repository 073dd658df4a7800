package io.github.chunkkv.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Builds needle prompts of a target token length: haystack sentences from a seeded starting point, the asked needle
 * placed at the sentence boundary nearest the requested depth, distractor needles (multi-key) at random boundaries.
 * Lengths are measured by encoding the whole prompt text, as the model sees it; filler sentences are dropped from the
 * end until it fits.
 */
public final class NiahCaseBuilder {
    private final EvalModel model;
    private final Haystack haystack;
    private final long seed;
    private final Map<Integer, Integer> sentenceTokens = new HashMap<>();

    public NiahCaseBuilder(EvalModel model, Haystack haystack, long seed) {
        this.model = model;
        this.haystack = haystack;
        this.seed = seed;
    }

    public NiahCase build(NiahTask task, int length, double depth, int sample) {
        if (!(depth >= 0 && depth <= 1)) throw new IllegalArgumentException("depth must be in [0, 1], got " + depth);
        if (length + NeedlePrompt.MAX_ANSWER_TOKENS > model.maxPositions()) {
            throw new IllegalArgumentException("length " + length + " + " + NeedlePrompt.MAX_ANSWER_TOKENS + " answer tokens exceeds the model's "
                    + model.maxPositions() + " positions");
        }
        Random random = new Random(Objects.hash(seed, task, length, Double.hashCode(depth), sample));
        List<String> keys = NeedlePrompt.keys(random, task.needles());
        List<String> needles = new ArrayList<>();
        String value = null;
        for (String key : keys) {
            String v = NeedlePrompt.value(random);
            if (value == null) value = v;
            needles.add(NeedlePrompt.needle(key, v));
        }
        String asked = keys.get(0);
        int overhead = model.encodeWithBos(NeedlePrompt.prompt(String.join(" ", needles), asked)).length;
        if (overhead + 8 > length) {
            throw new IllegalArgumentException("length " + length + " is too short: the needles and question alone take " + overhead + " tokens");
        }

        int first = random.nextInt(haystack.sentences().size());
        List<String> filler = new ArrayList<>();
        List<Integer> fillerTokens = new ArrayList<>();
        for (int total = 0, i = first; total < length - overhead; i++) {
            filler.add(haystack.sentence(i));
            fillerTokens.add(tokensOf(Math.floorMod(i, haystack.sentences().size())));
            total += fillerTokens.get(fillerTokens.size() - 1);
        }
        int[] distractorSlots = random.ints(task.needles() - 1, 0, filler.size() + 1).toArray();
        while (true) {
            int slot = boundaryAt(fillerTokens, depth);
            List<String> parts = new ArrayList<>();
            int needleSentence = -1;
            for (int b = 0; b <= filler.size(); b++) {
                if (b == slot) {
                    needleSentence = parts.size();
                    parts.add(needles.get(0));
                }
                for (int d = 0; d < distractorSlots.length; d++) if (Math.min(distractorSlots[d], filler.size()) == b) parts.add(needles.get(d + 1));
                if (b < filler.size()) parts.add(filler.get(b));
            }
            int[] tokens = model.encodeWithBos(NeedlePrompt.prompt(String.join(" ", parts), asked));
            if (tokens.length <= length) {
                int needleStart = model.encodeWithBos(NeedlePrompt.start(String.join(" ", parts.subList(0, needleSentence)))).length;
                return new NiahCase(task, length, depth, sample, asked, value, tokens, needleStart);
            }
            filler.remove(filler.size() - 1);
            fillerTokens.remove(fillerTokens.size() - 1);
        }
    }

    /** Index of the sentence boundary (0 .. n) whose token offset is nearest {@code depth} of the filler. */
    private static int boundaryAt(List<Integer> tokens, double depth) {
        int total = tokens.stream().mapToInt(Integer::intValue).sum();
        double target = depth * total;
        int best = 0;
        double bestDistance = target;
        for (int b = 1, offset = 0; b <= tokens.size(); b++) {
            offset += tokens.get(b - 1);
            if (Math.abs(offset - target) < bestDistance) {
                best = b;
                bestDistance = Math.abs(offset - target);
            }
        }
        return best;
    }

    private int tokensOf(int sentence) {
        return sentenceTokens.computeIfAbsent(sentence, i -> model.encode(" " + haystack.sentence(i)).length);
    }
}
