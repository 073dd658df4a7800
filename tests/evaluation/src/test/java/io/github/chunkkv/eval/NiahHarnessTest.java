package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.testing.RealModels;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NIAH prompt builder and scorer on a real tokenizer and model (stories260K, which cannot retrieve: only the
 * harness is checked here, not accuracy).
 */
class NiahHarnessTest {
    private static EvalModel model;
    private static NiahCaseBuilder builder;
    private static final Haystack HAYSTACK = Haystack.of(IntStream.range(0, 200)
            .mapToObj(i -> "Sentence " + i + " tells of a cat named Tom who liked to play in the park with his friend.").reduce("", (a, b) -> a + " " + b));

    @BeforeAll
    static void load() {
        model = EvalModel.load(RealModels.stories260K());
        builder = new NiahCaseBuilder(model, HAYSTACK, 7);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void promptsHaveTheTargetLengthAndTheNeedleAtItsDepth() {
        for (double depth : List.of(0.0, 0.3, 0.7, 1.0)) {
            NiahCase c = builder.build(NiahTask.SINGLE, 300, depth, 0);
            assertTrue(c.tokens().length <= 300 && c.tokens().length >= 270, "length " + c.tokens().length);
            assertEquals(model.bosToken(), c.tokens()[0]);
            String text = model.text().decode(c.tokens());
            String needle = NeedleFormat.needle(c.key(), c.value());
            int at = text.indexOf(needle);
            assertTrue(at >= 0, "needle in prompt: " + text);
            int contextStart = text.indexOf("user: ") + "user: ".length(), contextEnd = text.indexOf("\nQuestion:");
            double measured = (at - contextStart) / (double) (contextEnd - contextStart - needle.length());
            assertEquals(depth, measured, 0.08, "needle depth");
            assertTrue(text.endsWith(NeedleFormat.prompt("", c.key()).substring("user: ".length())), text);
            int start = c.needleStart();
            String fromStart = model.text().decode(c.tokens(), start, c.tokens().length).strip();
            assertTrue(fromStart.startsWith(needle) || fromStart.startsWith(needle.substring(1)), "needleStart points at the needle: " + fromStart);
        }
    }

    @Test
    void multiKeyPromptsHoldSeveralDistinctNeedlesAndAskOne() {
        NiahCase c = builder.build(NiahTask.MULTIKEY, 400, 0.5, 3);
        String text = model.text().decode(c.tokens());
        long needles = text.split("The special magic number for ", -1).length - 1;
        assertEquals(NiahTask.MULTIKEY.needles(), needles, text);
        assertTrue(text.contains(NeedleFormat.needle(c.key(), c.value())));
        assertTrue(text.contains(NeedleFormat.question(c.key())));
    }

    @Test
    void casesAreReproducibleFromTheSeed() {
        NiahCase a = builder.build(NiahTask.MULTIKEY, 250, 0.4, 1), b = new NiahCaseBuilder(model, HAYSTACK, 7).build(NiahTask.MULTIKEY, 250, 0.4, 1);
        assertArrayEquals(a.tokens(), b.tokens());
        assertEquals(a.value(), b.value());
        assertEquals("kettle 778 519 126", a.key() + " " + a.value(), "the same in every JVM (seeds use no identity hash codes)");
        NiahCase other = builder.build(NiahTask.MULTIKEY, 250, 0.4, 2);
        assertTrue(!other.value().equals(a.value()) || !other.key().equals(a.key()));
    }

    @Test
    void rejectsImpossibleCases() {
        assertThrows(IllegalArgumentException.class, () -> builder.build(NiahTask.SINGLE, model.maxPositions(), 0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> builder.build(NiahTask.MULTIKEY, 40, 0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> builder.build(NiahTask.SINGLE, 200, 1.5, 0));
    }

    @Test
    void everyPolicyAtKeepOneAnswersExactlyLikeFullKv() {
        NiahEval eval = new NiahEval(model, NiahEval.grid(builder, List.of(NiahTask.values()), List.of(300), List.of(0.0, 0.5, 1.0), 1));
        List<NiahEval.Outcome> full = eval.answers(io.github.chunkkv.config.ChunkKvConfig.full());
        assertEquals(6, full.size());
        for (String policy : PolicyList.ALL) {
            List<NiahEval.Outcome> got = eval.answers(PolicyList.withKeep(policy, 1.0));
            assertEquals(full.stream().map(NiahEval.Outcome::generated).toList(), got.stream().map(NiahEval.Outcome::generated).toList(), policy);
        }
        for (NiahEval.Outcome o : full) assertEquals(o.answer().equals(o.c().value()), o.correct());
    }

    @Test
    void answersAreDecodedOncePerConfigurationAndShapedByATaskSubset() {
        NiahEval eval = new NiahEval(model, NiahEval.grid(builder, List.of(NiahTask.values()), List.of(300), List.of(0.0, 1.0), 1));
        List<NiahEval.Outcome> chunkkv = eval.answers(PolicyList.withBudget("chunkkv", 64));
        assertSame(chunkkv, eval.answers(PolicyList.withBudget("chunkkv:reuse=1", 64)), "a spelled-out default is the same configuration");
        NiahEval single = eval.ofTask(NiahTask.SINGLE);
        assertEquals(2, single.cases().size());
        assertTrue(single.cases().stream().allMatch(c -> c.task() == NiahTask.SINGLE));
        List<NiahEval.Outcome> subset = single.answers(PolicyList.withBudget("chunkkv", 64));
        assertEquals(chunkkv.stream().filter(o -> o.c().task() == NiahTask.SINGLE).toList(), subset, "answers carried into the subset, not decoded again");
        assertEquals(single.cases(), single.answers(PolicyList.withBudget("snapkv", 64)).stream().map(NiahEval.Outcome::c).toList(),
                "a configuration new to the subset is decoded on the subset's cases");
    }
}
