package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pictures, CSV and JSON from hand-made rows (the numbers are made up; only the files are checked). */
class ChartsTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    @TempDir
    Path tmp;

    @Test
    void writesPicturesCsvAndJson() throws Exception {
        List<FidelityRow> fidelity = List.of(new FidelityRow("full", 0.1, 1, 0, 1, 0, 1, 0, 2, 64),
                new FidelityRow("chunkkv", 0.1, 0.9, 0.05, 0.5, 0.02, 0.1, 1.5, 2, 64), new FidelityRow("chunkkv", 0.5, 0.97, 0.01, 0.8, 0.01, 0.5, 1.5, 2, 64));
        Charts.fidelity(tmp.resolve("fidelity.png"), fidelity);
        List<NiahRow> rows = List.of(new NiahRow("chunkkv", 32, "single", 1, 5), new NiahRow("chunkkv", 128, "single", 9, 10));
        List<NiahCell> cells = new ArrayList<>();
        for (int length : new int[] {256, 512}) for (double depth : new double[] {0, 0.5, 1}) cells.add(new NiahCell("chunkkv", 128, "single", length, depth, (int) (2 * depth), 2));
        NiahCommand.write(tmp, tmp, new NiahResults(rows, cells), "niah");
        for (String png : new String[] {"fidelity.png", "fidelity-kl.png", "niah-vs-budget-single.png", "niah-heatmap-single-chunkkv.png"}) {
            assertArrayEquals(PNG_MAGIC, Arrays.copyOf(Files.readAllBytes(tmp.resolve(png)), 4), png);
        }
        ResultFiles.write(tmp, "fidelity", fidelity);
        List<String> csv = Files.readAllLines(tmp.resolve("fidelity.csv"));
        assertEquals("policy,keep,top1_agree,top1_ci95_low,top1_ci95_high,first_divergence,kl,top1_se,kept_fraction,compress_ms,prompts,steps", csv.get(0));
        assertEquals("chunkkv,0.1000,0.9000,0.8340,0.9397,0.5000,0.0200,0.0500,0.1000,1.5000,2,64", csv.get(2), "115 of 128 steps agree");
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("niah_cells.json").toFile());
        assertEquals(6, json.size());
        assertEquals(512, json.get(5).get("length").asInt());
        assertTrue(rows.get(0).line().equals("niah policy=chunkkv budget=32 task=single accuracy=0.2000 cases=5"), rows.get(0).line());
        List<String> niahCsv = Files.readAllLines(tmp.resolve("niah.csv"));
        assertEquals("policy,budget,task,accuracy,ci95_low,ci95_high,correct,cases", niahCsv.get(0));
        assertEquals("chunkkv,32,single,0.2000,0.0362,0.6245,1,5", niahCsv.get(1), "1 of 5 with its 95% Wilson interval");
        assertEquals(0.0, json.get(0).get("ci95_low").asDouble(), "0 of 2 cannot be below 0");
    }
}
