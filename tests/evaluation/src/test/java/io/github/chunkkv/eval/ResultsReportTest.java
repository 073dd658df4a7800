package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RESULTS.md from hand-made rows (made-up numbers): both retrieval models side by side, every accuracy with its interval. */
class ResultsReportTest {
    @TempDir
    Path tmp;

    private static NiahResults results(int chunkCorrect, int snapCorrect) {
        List<NiahRow> rows = new ArrayList<>();
        List<NiahCell> cells = new ArrayList<>();
        for (int budget : new int[] {64, 128}) {
            rows.add(new NiahRow("full", budget, "single", 100, 100));
            rows.add(new NiahRow("chunkkv", budget, "single", chunkCorrect, 100));
            rows.add(new NiahRow("snapkv", budget, "single", snapCorrect, 100));
            for (String p : List.of("full", "chunkkv", "snapkv")) cells.add(new NiahCell(p, budget, "single", 1024, 0.5, 1, 2));
        }
        return new NiahResults(rows, cells);
    }

    @Test
    void niahTablesShowBothModelsWithIntervalsAndTheSignificantGaps() throws Exception {
        ResultsReport report = new ResultsReport(tmp.resolve("stories260K"), tmp.resolve("needle-lm"));
        NiahCommand.Settings grid = AllCommand.niahGrid(7);
        report.niah(tmp.resolve("needle-lm"), grid, results(80, 10));
        report.niah(tmp.resolve("needle-ctl"), grid, results(60, 55));
        report.write(tmp, tmp.resolve("results"), tmp.resolve("images"), 60, "./chunkkv eval all");

        String md = Files.readString(tmp.resolve("RESULTS.md"));
        assertTrue(md.contains("| policy | KV | needle-lm | needle-ctl |"), md);
        assertTrue(md.contains("| chunkkv | 128 | 0.80 [0.71, 0.87] | 0.60 [0.50, 0.69] |"), md);
        assertTrue(md.contains("**Reading (needle-lm, single, KV 128).** Accuracy, best first: chunkkv 0.8, snapkv 0.1. "
                + "Neighbouring gaps significant at 95% (Wilson intervals disjoint, a conservative test): chunkkv > snapkv."), md);
        assertTrue(md.contains("Within noise (intervals overlap): chunkkv vs snapkv."), "needle-ctl's 0.60 vs 0.55: " + md);
        for (String file : List.of("results/niah-needle-lm.csv", "results/niah-needle-ctl_cells.json", "images/niah-needle-ctl-vs-budget-single.png",
                "images/niah-needle-lm-heatmap-single-chunkkv.png")) {
            assertTrue(Files.isRegularFile(tmp.resolve(file)), file);
            assertTrue(md.contains(file.substring(file.indexOf('/') + 1)) || file.startsWith("results/"), file + " is linked");
        }
    }

    @Test
    void boundarySectionSplitsEachModelAndKeepsTheGridUnlessAVariantWinsEverywhere() throws Exception {
        ResultsReport report = new ResultsReport(tmp.resolve("stories260K"), tmp.resolve("needle-lm"));
        report.fidelity(FidelityCommand.Settings.defaults(), List.of(fidelity("chunkkv", 0.95), fidelity("chunkkv-shift", 0.80), fidelity("snapkv", 0.9)));
        // needle-lm: shift clearly above the grid (90 vs 60 of 105); needle-ctl: level (100 vs 101)
        report.boundary(tmp.resolve("needle-lm"), new BoundaryStudy.Result(128, 10, false, 105, 25, List.of(
                new BoundaryStudy.Split("chunkkv", 5, 25, 55, 80), new BoundaryStudy.Split("chunkkv-shift", 20, 25, 70, 80),
                new BoundaryStudy.Split("snapkv", 2, 25, 8, 80))));
        report.boundary(tmp.resolve("needle-ctl"), new BoundaryStudy.Result(128, 10, true, 105, 20, List.of(
                new BoundaryStudy.Split("chunkkv", 20, 20, 81, 85), new BoundaryStudy.Split("chunkkv-shift", 19, 20, 81, 85),
                new BoundaryStudy.Split("snapkv", 20, 20, 85, 85))));
        report.write(tmp, tmp.resolve("results"), tmp.resolve("images"), 60, "./chunkkv eval all");

        String md = Files.readString(tmp.resolve("RESULTS.md"));
        assertTrue(md.contains("## Chunk boundaries"), md);
        assertTrue(md.contains("**needle-lm**: the answer span crosses a grid line in 25 of 105 prompts (0.238)."), md);
        assertTrue(md.contains("| chunkkv | 5/25 = 0.20 [0.09, 0.39] | 55/80 = 0.69 [0.58, 0.78] | 60/105 = 0.57 [0.48, 0.66] |"), md);
        assertTrue(md.contains("`chunkkv` answers 0.2 of the crossing spans and 0.688 of those inside one chunk (a significant gap)."), md);
        assertTrue(md.contains("`chunkkv-shift`: needle-lm significantly above the grid, needle-ctl level with the grid; fidelity significantly below."), md);
        assertTrue(md.contains("none is, so the fixed grid stays the default."), md);
    }

    private static FidelityRow fidelity(String policy, double top1) {
        return new FidelityRow(policy, 0.1, top1, 0.01, 0.5, 0.01, 0.15, 0.3, 50, 64);
    }

    @Test
    void aMultiturnGapOfOneContextIsNamedAsSuchWhenOneContextExceedsTheTarget() {
        assertEquals("met", ResultsReport.gapVerdict(0.04, 24));
        assertEquals("missed by one context of 8, which alone is 0.125; at least 20 contexts resolve 0.05", ResultsReport.gapVerdict(0.125, 8));
        assertEquals("missed", ResultsReport.gapVerdict(0.25, 8));
        assertEquals("missed", ResultsReport.gapVerdict(1.0 / 24 * 2, 24));
    }
}
