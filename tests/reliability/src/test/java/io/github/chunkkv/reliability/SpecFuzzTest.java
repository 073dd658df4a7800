package io.github.chunkkv.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.policy.PolicyRegistry;
import io.github.chunkkv.testing.ReferenceTransformer;
import io.github.chunkkv.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based fuzzing of the whole ChunkKV path: random valid and invalid specs of every registered policy, with
 * and without recall and a decoding cap, times multi-turn conversations whose prompts run from empty to past the
 * context. Every case either fails with a documented exception (an invalid spec, an empty prompt, a prompt that does
 * not fit) or matches the float64 reference that masks exactly the positions the cache kept, step by step, with
 * caches within their budget. Tries: {@code jqwik.tries.default} (the quick default run; {@code -Pfuzz}: 10,000).
 */
class SpecFuzzTest {
    /** Context 96 with 2 KV heads: 94 usable positions, so prompts up to 106 tokens cover "does not fit". */
    private static final TinyModels.Spec SPEC = new TinyModels.Spec("llama", 2, 64, 4, 2, 96, 96, false, 17);
    private static final int MAX_POSITIONS = SPEC.context() - 2 * (SPEC.kvHeads() - 1);
    private static final List<String> KEYS = List.of("keep", "budget", "chunk", "window", "pool", "reuse", "sinks", "seed",
            "scorer", "recall", "cap", "slack");

    private static Path dir;
    private static AbstractModel model;

    @BeforeContainer
    static void load() throws IOException {
        dir = Files.createTempDirectory("chunkkv-fuzz");
        model = TinyModels.load(TinyModels.write(SPEC, dir.resolve("model")));
    }

    @AfterContainer
    static void close() throws IOException {
        model.close();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** One conversation: turns of (prompt length, greedy decode steps). */
    record Case(String spec, List<Tuple.Tuple2<Integer, Integer>> turns, long seed) {}

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<String> policy = Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.of(PolicyRegistry.names())),
                Tuple.of(1, Arbitraries.of("lru", "CHUNKKV", "")));
        Arbitrary<String> pair = Arbitraries.of(KEYS).flatMap(key -> value(key).map(v -> key + "=" + v));
        // recall and the decoding cap get a dimension of their own, so that every policy is fuzzed with and without them
        Arbitrary<String> recall = Arbitraries.of("", "recall=ram", "recall=disk");
        Arbitrary<String> cap = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just("")),
                Tuple.of(1, Arbitraries.integers().between(21, 90).map(c -> "cap=" + c)));
        Arbitrary<String> spec = Combinators.combine(policy, pair.list().ofMaxSize(4), recall, cap).as((name, pairs, r, c) -> {
            List<String> all = new ArrayList<>(pairs);
            if (!r.isEmpty()) all.add(r);
            if (!c.isEmpty()) all.add(c);
            return all.isEmpty() ? name : name + ":" + String.join(",", all);
        });
        Arbitrary<Tuple.Tuple2<Integer, Integer>> turn = Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0)), Tuple.of(8, Arbitraries.integers().between(1, 60)),
                        Tuple.of(2, Arbitraries.integers().between(0, SPEC.context() + 10))),
                Arbitraries.integers().between(0, 4)).as(Tuple::of);
        return Combinators.combine(spec, turn.list().ofMinSize(1).ofMaxSize(3), Arbitraries.longs()).as(Case::new);
    }

    /** Mostly valid values, and the invalid ones a hostile user tries: 0, negatives, overflow bait, garbage. */
    private static Arbitrary<String> value(String key) {
        Arbitrary<String> hostile = Arbitraries.of("0", "-1", "2147483647", "-2147483648", "16777217", "x", "1e9", "NaN");
        Arbitrary<String> valid = switch (key) {
            case "keep" -> Arbitraries.doubles().between(0.01, 1.0).ofScale(2).map(String::valueOf);
            case "budget", "cap" -> Arbitraries.integers().between(1, 120).map(String::valueOf);
            case "chunk", "window", "sinks", "slack" -> Arbitraries.integers().between(1, 20).map(String::valueOf);
            case "pool" -> Arbitraries.of("1", "3", "5", "7", "4");
            case "reuse" -> Arbitraries.integers().between(1, 3).map(String::valueOf);
            case "seed" -> Arbitraries.longs().map(String::valueOf);
            case "scorer" -> Arbitraries.of(PolicyRegistry.names());
            case "recall" -> Arbitraries.of("off", "ram", "disk");
            default -> throw new IllegalArgumentException(key);
        };
        return Arbitraries.frequencyOf(Tuple.of(15, valid), Tuple.of(1, hostile));
    }

    @Property
    void everyCaseFailsAsDocumentedOrMatchesTheMaskedReference(@ForAll("cases") Case c) {
        ChunkKvConfig config;
        try {
            config = ChunkKvConfig.parse(c.spec());
        } catch (IllegalArgumentException e) {
            assertTrue(namesWhatIsWrong(e.getMessage()), "undocumented message for '" + c.spec() + "': " + e.getMessage());
            Statistics.label("spec").collect("invalid");
            return;
        }
        Statistics.label("spec").collect(config.recalls() ? "valid, recall" : config.cap() > 0 ? "valid, cap" : "valid");
        Random random = new Random(c.seed());
        ReferenceTransformer reference = new ReferenceTransformer(SPEC);
        try (ChunkKvModel m = ChunkKvJlama.wrap(model, config); KvSession s = m.openSession()) {
            assertEquals(MAX_POSITIONS, m.maxPositions());
            boolean exact = true; // until cold rows come back: the cold tier stores Q8, not the exact rows
            for (var turn : c.turns()) {
                int[] tokens = random.ints(turn.get1(), 3, SPEC.vocab()).toArray();
                int before = s.position();
                if (tokens.length == 0 || before + tokens.length > MAX_POSITIONS) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.prefill(tokens), c.toString());
                    assertTrue(e.getMessage().contains(tokens.length == 0 ? "must not be empty" : "does not fit the context"), e.getMessage());
                    assertEquals(before, s.position(), "a refused prompt changes nothing");
                    Statistics.label("turn").collect(tokens.length == 0 ? "refused: empty" : "refused: does not fit");
                    continue;
                }
                exact &= coldRows(s) == 0;
                int[][] visible = kept(s);
                float[] actual = s.prefill(tokens), expected = null;
                for (int token : tokens) expected = reference.step(token, (l, p) -> p >= before || Arrays.binarySearch(visible[l], p) >= 0);
                if (exact) ReferenceTransformer.assertMatches(expected, actual, c + " prefill at " + before);
                Statistics.label("turn").collect(exact ? "equal to the masked reference" : "after a recall (Q8 rows): ran, budget checked");
                if (!config.usesRatio() && !config.isFull()) { // full keeps everything, whatever its budget
                    long hot = 0;
                    for (int l = 0; l < SPEC.layers(); l++) hot += s.cachedRows(l);
                    assertTrue(hot <= (long) SPEC.layers() * config.budget(), c + ": " + hot + " rows over the budget");
                }
                for (int step = 0; step < turn.get2() && s.position() < MAX_POSITIONS; step++) {
                    int next = argmax(actual), at = s.position();
                    int[][] keptNow = kept(s);
                    actual = s.decode(next);
                    exact &= s.rowsPromotedWhileDecoding() == 0; // decode-time recall attended to rows back from the Q8 tier
                    expected = reference.step(next, (l, p) -> p == at || Arrays.binarySearch(keptNow[l], p) >= 0);
                    if (exact) ReferenceTransformer.assertMatches(expected, actual, c + " decode at " + at);
                    // PyramidKV's lower layers keep more than the cap by design (DecodeCapTest covers its bound)
                    for (int l = 0; l < SPEC.layers() && config.cap() > 0 && !config.policy().equals("pyramidkv"); l++) {
                        assertTrue(s.cachedRows(l) <= config.cap() + config.slack(), c + ": layer " + l + " above cap + slack");
                    }
                }
            }
        }
    }

    private static boolean namesWhatIsWrong(String message) {
        return message.startsWith("policy") || message.startsWith("unknown policy spec parameter") || message.startsWith("give either")
                || message.startsWith("keep ratio") || message.startsWith("scorer") || message.startsWith("slack needs") || message.contains(" applies only to policies that evict")
                || KEYS.stream().anyMatch(key -> message.startsWith(key + " must be"));
    }

    private static int[][] kept(KvSession s) {
        int[][] kept = new int[s.layers()][];
        for (int l = 0; l < kept.length; l++) kept[l] = s.cachedPositions(l);
        return kept;
    }

    private static long coldRows(KvSession s) {
        long n = 0;
        for (int l = 0; l < s.layers(); l++) n += s.coldRows(l);
        return n;
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

}
