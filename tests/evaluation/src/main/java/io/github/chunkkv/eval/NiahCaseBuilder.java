package io.github.chunkkv.eval;

import io.github.chunkkv.needle.NeedleFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * Builds needle prompts of a target token length: haystack sentences from a seeded starting point, the asked needle
 * placed at the sentence boundary nearest the requested depth, distractor needles (multi-key) at random boundaries.
 * Lengths are measured by encoding the whole prompt text, as the model sees it; words come off the filler's end until
 * it fits (the haystack may end mid-sentence, as RULER's token-level cut does).
 */
public final class NiahCaseBuilder {
    private final EvalModel model;
    private final Haystack haystack;
    private final long seed;
    private final List<String> keyPool;
    private final Map<Integer, Integer> sentenceTokens = new HashMap<>();

    /** A filler sentence and its token count when encoded on its own. */
    private record Sentence(String text, int tokens) {}

    public NiahCaseBuilder(EvalModel model, Haystack haystack, long seed) {
        this.model = model;
        this.haystack = haystack;
        this.seed = seed;
        this.keyPool = NeedleFormat.keyPool(model.dir());
    }

    public NiahCase build(NiahTask task, int length, double depth, int sample) {
        if (!(depth >= 0 && depth <= 1)) throw new IllegalArgumentException("depth must be in [0, 1], got " + depth);
        if (length + NeedleFormat.MAX_ANSWER_TOKENS > model.maxPositions()) {
            throw new IllegalArgumentException("length " + length + " + " + NeedleFormat.MAX_ANSWER_TOKENS + " answer tokens exceeds the model's "
                    + model.maxPositions() + " positions");
        }
        Random random = new Random(Objects.hash(seed, task.label(), length, Double.hashCode(depth), sample)); // stable across JVMs (no identity hashes)
        List<String> keys = NeedleFormat.keys(random, task.needles(), keyPool);
        List<String> values = keys.stream().map(k -> NeedleFormat.value(random)).toList();
        List<String> needles = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) needles.add(NeedleFormat.needle(keys.get(i), values.get(i)));
        String asked = keys.get(0);
        int overhead = model.encodeWithBos(NeedleFormat.prompt(String.join(" ", needles), asked)).length;
        if (overhead + 8 > length) {
            throw new IllegalArgumentException("length " + length + " is too short: the needles and question alone take " + overhead + " tokens");
        }

        List<Sentence> filler = new ArrayList<>();
        for (int total = 0, i = random.nextInt(haystack.sentences().size()); total < length - overhead; i++) {
            filler.add(new Sentence(haystack.sentence(i), tokensOf(Math.floorMod(i, haystack.sentences().size()))));
            total += filler.get(filler.size() - 1).tokens();
        }
        double[] distractorDepths = random.doubles(task.needles() - 1).toArray();
        while (true) {
            List<String> before = new ArrayList<>(), after = new ArrayList<>();
            int slot = boundaryAt(filler, depth);
            List<Integer> distractorSlots = Arrays.stream(distractorDepths).mapToObj(d -> boundaryAt(filler, d)).toList();
            for (int b = 0; b <= filler.size(); b++) {
                List<String> side = b < slot ? before : after;
                if (b == slot) after.add(needles.get(0));
                for (int d = 0; d < distractorSlots.size(); d++) if (distractorSlots.get(d) == b) side.add(needles.get(d + 1));
                if (b < filler.size()) side.add(filler.get(b).text());
            }
            String context = String.join(" ", before) + (before.isEmpty() ? "" : " ") + String.join(" ", after);
            int[] tokens = model.encodeWithBos(NeedleFormat.prompt(context, asked));
            if (tokens.length <= length) {
                // tokens of the text before the needle; the space before it belongs to the needle's first token
                int needleStart = model.encodeWithBos(NeedleFormat.start(String.join(" ", before)).stripTrailing()).length;
                return new NiahCase(task, length, depth, sample, asked, values.get(0), tokens, needleStart);
            }
            trimEnd(filler, tokens.length - length);
        }
    }

    /** Shortens the filler's end by about {@code excess} tokens' worth of words; a sentence left empty is dropped. */
    private void trimEnd(List<Sentence> filler, int excess) {
        Sentence last = filler.remove(filler.size() - 1);
        String[] words = last.text().split(" ");
        double tokensPerWord = Math.max(1.0, last.tokens() / (double) words.length);
        int keep = words.length - Math.max(1, (int) Math.ceil(excess / tokensPerWord));
        if (keep > 0) {
            String text = String.join(" ", Arrays.copyOf(words, keep));
            filler.add(new Sentence(text, model.encode(" " + text).length));
        }
        if (filler.isEmpty()) throw new IllegalArgumentException("no room for filler: the needles alone nearly fill the length");
    }

    /** The shortest sensible prompt for {@code task}: its needles and question take at most half of it. */
    public int minimumLength(NiahTask task) {
        String key = keyPool.get(0);
        List<String> needles = Collections.nCopies(task.needles(), NeedleFormat.needle(key, "123 456 789 012"));
        return 2 * model.encodeWithBos(NeedleFormat.prompt(String.join(" ", needles), key)).length;
    }

    /** Index of the sentence boundary (0 .. n) whose token offset is nearest {@code depth} of the filler. */
    private static int boundaryAt(List<Sentence> filler, double depth) {
        double target = depth * filler.stream().mapToInt(Sentence::tokens).sum();
        int best = 0;
        double bestDistance = target;
        for (int b = 1, offset = 0; b <= filler.size(); b++) {
            offset += filler.get(b - 1).tokens();
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
