package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.RealModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A small NIAH grid on the project's trained retrieval model (models/needle-lm). */
class NeedleLmNiahTest {
    private static EvalModel model;
    private static NiahEval eval;
    private static List<NiahEval.Outcome> full;

    @BeforeAll
    static void load() {
        Path dir = RealModels.needleLm();
        model = EvalModel.load(dir);
        NiahCaseBuilder builder = new NiahCaseBuilder(model, Haystack.load(dir.resolve("haystack-nt.txt")), 11);
        int length = NiahCommand.defaultLengths(model, builder, List.of(NiahTask.values()), 4).get(0);
        // 4 cases: both tasks, needle early and late, at the shortest default length (small enough for the default suite)
        eval = new NiahEval(model, NiahEval.grid(builder, List.of(NiahTask.values()), List.of(length), List.of(0.25, 0.75), 1));
        full = eval.answers(ChunkKvConfig.full());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void fullKvRetrievesTheNeedles() {
        assertTrue(NiahEval.accuracy(full) >= 0.95, "FullKV accuracy " + NiahEval.accuracy(full) + ": "
                + full.stream().filter(o -> !o.correct()).map(o -> o.c().value() + " vs '" + o.generated() + "'").toList());
    }

    @Test
    void everyPolicyAtKeepOneAnswersLikeFullKv() {
        for (String policy : PolicyList.ALL) {
            List<NiahEval.Outcome> got = eval.answers(PolicyList.withKeep(policy, 1.0));
            assertEquals(full.stream().map(NiahEval.Outcome::generated).toList(), got.stream().map(NiahEval.Outcome::generated).toList(), policy);
        }
    }

    @Test
    void randomEvictionAtATinyBudgetLosesTheNeedles() {
        double random = NiahEval.accuracy(eval.answers(PolicyList.withBudget("random", 40)));
        assertTrue(random <= NiahEval.accuracy(full) - 0.4, "random at budget 40 scored " + random + " vs FullKV " + NiahEval.accuracy(full));
    }
}
