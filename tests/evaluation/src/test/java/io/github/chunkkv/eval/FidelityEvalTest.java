package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.RealModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fidelity on the real stories260K: at keep 1.0 every policy must reproduce FullKV exactly. */
class FidelityEvalTest {
    private static EvalModel model;
    private static FidelityEval eval;

    @BeforeAll
    static void load() {
        model = EvalModel.load(RealModels.stories260K());
        eval = FidelityCommand.evaluator(model, new FidelityCommand.Settings(PolicyList.ALL, List.of(1.0), 2, 16, 1, 400, 480));
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void keepOneIsExactlyFullKvForEveryPolicy() {
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(lines, true);
        List<FidelityRow> rows = eval.run(PolicyList.ALL, List.of(1.0), row -> out.println(row.line()));
        assertEquals(PolicyList.ALL.size(), rows.size());
        for (FidelityRow r : rows) {
            assertEquals(1.0, r.top1Agree(), r.line());
            assertEquals(1.0, r.firstDivergence(), r.line());
            // 0 up to float noise: the Vector API sums in an unspecified order that can change when the JIT recompiles
            // a kernel; FidelityEval warms up first, after which this is 0.0 in practice.
            assertEquals(0.0, r.kl(), 1e-9, r.line());
            assertEquals(1.0, r.keptFraction(), r.line());
        }
        assertTrue(lines.toString().startsWith("fidelity policy=full keep=1.0000 top1_agree=1.0000 first_divergence=1.0000 kl=0.0000"), lines.toString());
    }

    @Test
    void promptsAreSelfWrittenStoriesOfTheRequestedLengthsAndReproducible() {
        assertEquals(2, eval.prompts().size());
        for (int[] p : eval.prompts()) {
            assertEquals(model.bosToken(), p[0]);
            assertTrue(p.length >= 400 && p.length + 16 <= model.maxPositions(), "length " + p.length);
        }
        List<int[]> again = StoryPrompts.generate(model, 2, 400, 480, 1);
        assertEquals(java.util.Arrays.toString(eval.prompts().get(1)), java.util.Arrays.toString(again.get(1)));
        String text = model.text().decode(eval.prompts().get(0));
        assertTrue(text.split(" ").length > 200, "a story in words: " + text);
    }

    @Test
    void compressionIsMeasuredAgainstTheReference() {
        FidelityRow r = eval.measure("chunkkv", ChunkKvConfig.chunkKv(0.1), 0.1);
        assertTrue(r.keptFraction() < 0.3, r.line());
        assertTrue(r.top1Agree() >= 0 && r.top1Agree() <= 1 && r.firstDivergence() <= r.top1Agree() + 1e-9, r.line());
        assertTrue(r.kl() >= 0, r.line());
    }
}
