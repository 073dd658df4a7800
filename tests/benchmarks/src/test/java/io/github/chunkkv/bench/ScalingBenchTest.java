package io.github.chunkkv.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.cli.ExitCodes;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench --scaling} end to end on a tiny random model: the series, the CSV and the chart; never timings. */
class ScalingBenchTest {
    private static final long ROW_BYTES = 2L * BenchCliRuns.TINY.layers() * BenchCliRuns.TINY.kvDim() * Float.BYTES; // K+V of a position

    @TempDir
    Path dir;

    @Test
    void measuresEverySeriesAtEveryContextAndWritesTheCsvAndTheChart() throws Exception {
        Path model = BenchCliRuns.writeTinyModel(dir);
        Path chart = dir.resolve("out").resolve("scaling.png");
        BenchCliRuns.Run r = BenchCliRuns.run("--scaling", "--model", model.toString(), "--contexts", "128,64", "--stock-max-context", "64", "--segment", "32",
                "--decode-tokens", "2", "--chart", chart.toString());
        assertEquals(ExitCodes.OK, r.status(), r.err());

        List<String> csv = Files.readAllLines(dir.resolve("out").resolve("scaling.csv"));
        assertEquals(ScalingBenchmark.Point.CSV_HEADER, csv.get(0));
        List<String> rows = csv.subList(1, csv.size());
        assertEquals(List.of("stock Jlama,64", "full,64", "chunkkv keep=0.1,64", "chunkkv keep=0.1 segment=32,64",
                        "full,128", "chunkkv keep=0.1,128", "chunkkv keep=0.1 segment=32,128"),
                rows.stream().map(l -> String.join(",", List.of(l.split(",")).subList(0, 2))).toList(),
                "stock only up to --stock-max-context, shortest context first");
        assertEquals(rows, r.out().lines().filter(l -> l.startsWith("scaling ")).map(l -> l.substring("scaling ".length())).toList());

        for (String row : rows) {
            String[] f = row.split(",");
            int context = Integer.parseInt(f[1]);
            long peak = Long.parseLong(f[4]);
            assertTrue(Double.parseDouble(f[2]) > 0 && Double.parseDouble(f[3]) > 0, row);
            if (f[0].contains("segment")) {
                // at 64 tokens the two segments of 32 evict nothing before the end (the first is all window)
                assertTrue(context == 64 ? peak == context * ROW_BYTES : peak < context * ROW_BYTES,
                        "a segmented prefill of more than two segments never holds the whole context: " + row);
            } else {
                assertEquals(context * ROW_BYTES, peak, "compress-once and stock hold the whole context: " + row);
            }
        }
        BufferedImage image = ImageIO.read(chart.toFile());
        assertTrue(image.getWidth() > 0 && image.getHeight() > image.getWidth() / 2, "three stacked panels");
    }

    @Test
    void aSegmentBelowTheWindowIsRefusedBeforeAnyModelIsBuilt() {
        BenchCliRuns.Run r = BenchCliRuns.run("--scaling", "--model", dir.resolve("absent").toString(), "--segment", "8");
        assertEquals(ExitCodes.USAGE, r.status(), r.err());
        assertTrue(r.err().contains("--segment: segment must be 0 (compress once per prefill) or in [window = 32"), r.err());
        assertFalse(Files.exists(dir.resolve("scaling.png")));
    }
}
