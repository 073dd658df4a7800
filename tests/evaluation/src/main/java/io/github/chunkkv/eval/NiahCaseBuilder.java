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
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;

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
        checkFits(length, NeedleFormat.MAX_ANSWER_TOKENS);
        Random random = new Random(Objects.hash(seed, task.label(), length, Double.hashCode(depth), sample)); // stable across JVMs (no identity hashes)
        List<String> keys = NeedleFormat.keys(random, task.needles(), keyPool);
        List<String> values = keys.stream().map(k -> NeedleFormat.value(random)).toList();
        List<String> needles = needles(keys, values);
        String asked = keys.get(0);
        List<Sentence> filler = filler(needles, asked, length, random);
        double[] depths = DoubleStream.concat(DoubleStream.of(depth), random.doubles(task.needles() - 1)).toArray();
        Placed placed = place(filler, needles, depths, asked, length);
        return new NiahCase(task, length, depth, sample, asked, values.get(0), placed.tokens(), placed.needleStarts()[0]);
    }

    /**
     * A shared context of {@code needleCount} needles with distinct keys, one per stratum of depth (needle i at a
     * random depth in [i/n, (i+1)/n)), asked in a random order; the first turn's prompt (context and first question)
     * is at most {@code length} tokens. {@code reserved} tokens must fit after it (later turns and answers).
     */
    public MultiturnCase multiturn(int needleCount, int length, int sample, int reserved) {
        checkFits(length, reserved);
        Random random = new Random(Objects.hash(seed, "multiturn", needleCount, length, sample));
        List<String> keys = NeedleFormat.keys(random, needleCount, keyPool);
        List<String> values = keys.stream().map(k -> NeedleFormat.value(random)).toList();
        double[] depths = IntStream.range(0, needleCount).mapToDouble(i -> (i + random.nextDouble()) / needleCount).toArray();
        List<Integer> order = new ArrayList<>(IntStream.range(0, needleCount).boxed().toList());
        Collections.shuffle(order, random);
        List<String> needles = needles(keys, values);
        String firstAsked = keys.get(order.get(0));
        Placed placed = place(filler(needles, firstAsked, length, random), needles, depths, firstAsked, length);
        int[] context = model.encodeWithBos(NeedleFormat.start(placed.context()));
        List<MultiturnCase.Needle> asked = order.stream()
                .map(i -> new MultiturnCase.Needle(keys.get(i), values.get(i), depths[i], placed.needleStarts()[i])).toList();
        return new MultiturnCase(length, sample, context, asked);
    }

    private void checkFits(int length, int reserved) {
        if (length + reserved > model.maxPositions()) {
            throw new IllegalArgumentException("length " + length + " + " + reserved + " tokens for the answers exceeds the model's " + model.maxPositions() + " positions");
        }
    }

    private static List<String> needles(List<String> keys, List<String> values) {
        return IntStream.range(0, keys.size()).mapToObj(i -> NeedleFormat.needle(keys.get(i), values.get(i))).toList();
    }

    /** Filler sentences from a random starting point, about enough to fill {@code length} besides the needles and question. */
    private List<Sentence> filler(List<String> needles, String asked, int length, Random random) {
        int overhead = model.encodeWithBos(NeedleFormat.prompt(String.join(" ", needles), asked)).length;
        if (overhead + 8 > length) {
            throw new IllegalArgumentException("length " + length + " is too short: the needles and question alone take " + overhead + " tokens");
        }
        List<Sentence> filler = new ArrayList<>();
        for (int total = 0, i = random.nextInt(haystack.sentences().size()); total < length - overhead; i++) {
            filler.add(new Sentence(haystack.sentence(i), tokensOf(Math.floorMod(i, haystack.sentences().size()))));
            total += filler.get(filler.size() - 1).tokens();
        }
        return filler;
    }

    /** A context with its needles placed; {@code tokens} is the prompt asking the first-placed needle's key. */
    private record Placed(String context, int[] tokens, int[] needleStarts) {}

    /**
     * Puts needle i at the sentence boundary nearest {@code depths[i]} (needles sharing a boundary in index order) and
     * trims the filler's end until the prompt asking {@code asked} fits {@code length}.
     */
    private Placed place(List<Sentence> filler, List<String> needles, double[] depths, String asked, int length) {
        while (true) {
            List<Integer> slots = Arrays.stream(depths).mapToObj(d -> boundaryAt(filler, d)).toList();
            List<String> items = new ArrayList<>();
            int[] needleItems = new int[needles.size()];
            for (int b = 0; b <= filler.size(); b++) {
                for (int n = 0; n < needles.size(); n++) {
                    if (slots.get(n) != b) continue;
                    needleItems[n] = items.size();
                    items.add(needles.get(n));
                }
                if (b < filler.size()) items.add(filler.get(b).text());
            }
            String context = String.join(" ", items);
            int[] tokens = model.encodeWithBos(NeedleFormat.prompt(context, asked));
            if (tokens.length <= length) {
                // tokens of the text before each needle; the space before it belongs to the needle's first token
                int[] starts = Arrays.stream(needleItems)
                        .map(i -> model.encodeWithBos(NeedleFormat.start(String.join(" ", items.subList(0, i))).stripTrailing()).length).toArray();
                return new Placed(context, tokens, starts);
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
