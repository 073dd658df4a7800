package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyRankingTest {
    private static PolicyRanking rank(NiahRow... rows) {
        return PolicyRanking.of(List.of(rows), NiahRow::policy, NiahRow::accuracy, true);
    }

    private static NiahRow row(String policy, double accuracy) {
        return new NiahRow(policy, 128, "single", (int) Math.round(accuracy * 10), 10);
    }

    @Test
    void ordersBestFirstWithTiesAndWithoutFullKv() {
        PolicyRanking r = rank(row("full", 1), row("snapkv", 0.5), row("chunkkv", 0.9), row("h2o", 0.5));
        assertEquals("best first: chunkkv 0.9, snapkv 0.5 = h2o 0.5", r.describe());
        assertEquals("best first: h2o 0.1, chunkkv 0.2",
                PolicyRanking.of(List.of(row("chunkkv", 0.2), row("h2o", 0.1)), NiahRow::policy, NiahRow::accuracy, false).describe());
    }

    @Test
    void comparesWithThePapersOrder() {
        assertEquals("ChunkKV places 1 of 3 among the paper's policies. No pairwise ordering of the paper is contradicted.",
                rank(row("chunkkv", 0.9), row("snapkv", 0.5), row("streamingllm", 0.2)).versusPaper(PolicyRanking.PAPER_NIAH));
        assertEquals("ChunkKV places 2 of 3 among the paper's policies (tied with h2o). Contradicting the paper: snapkv beats chunkkv.",
                rank(row("chunkkv", 0.5), row("snapkv", 0.7), row("h2o", 0.5), row("random", 0.9)).versusPaper(PolicyRanking.PAPER_NIAH));
        assertEquals("At this resolution the paper's policies do not separate, so the paper's order is neither confirmed nor contradicted.",
                rank(row("chunkkv", 0), row("snapkv", 0)).versusPaper(PolicyRanking.PAPER_NIAH));
        assertEquals("ChunkKV places 1 of 3 among the paper's policies. No pairwise ordering of the paper is contradicted.",
                rank(row("chunkkv", 0.9), row("snapkv", 0.6), row("pyramidkv", 0.7)).versusPaper(PolicyRanking.PAPER_LONGBENCH), "one tier");
    }

    @Test
    void saysWhichGapsAreSignificantByDisjointWilsonIntervals() {
        List<NiahRow> rows = List.of(new NiahRow("full", 128, "single", 100, 100), new NiahRow("chunkkv", 128, "single", 90, 100),
                new NiahRow("snapkv", 128, "single", 50, 100), new NiahRow("h2o", 128, "single", 45, 100), new NiahRow("random", 128, "single", 45, 100));
        PolicyRanking r = PolicyRanking.ofShares(rows, NiahRow::policy, NiahRow::proportion);
        assertEquals("best first: chunkkv 0.9, snapkv 0.5, h2o 0.45 = random 0.45", r.describe());
        assertEquals("Neighbouring gaps significant at 95% (Wilson intervals disjoint, a conservative test): chunkkv > snapkv."
                + " Within noise (intervals overlap): snapkv vs h2o.", r.significance());
        assertEquals("ChunkKV places 1 of 3 among the paper's policies. No pairwise ordering of the paper is contradicted.",
                r.versusPaper(PolicyRanking.PAPER_NIAH));
        List<NiahRow> reversed = List.of(new NiahRow("chunkkv", 128, "single", 5, 10), new NiahRow("snapkv", 128, "single", 6, 10));
        assertEquals("ChunkKV places 2 of 2 among the paper's policies. Contradicting the paper: snapkv beats chunkkv (within noise).",
                PolicyRanking.ofShares(reversed, NiahRow::policy, NiahRow::proportion).versusPaper(PolicyRanking.PAPER_NIAH));
        assertEquals("", rank(row("chunkkv", 0.9), row("snapkv", 0.5)).significance(), "no intervals, no claim");
    }
}
