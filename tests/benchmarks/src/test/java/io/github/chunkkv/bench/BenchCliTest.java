package io.github.chunkkv.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.convert.RandomLlamaWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runs the benchmark end to end on a tiny random model; checks the output's form and byte accounting, never timings. */
class BenchCliTest {
    private static final RandomLlamaWriter.Shape TINY = new RandomLlamaWriter.Shape(2, 64, 4, 2, 128, 256, 160);
    private static final int CONTEXT = 128;
    private static final long ROW_BYTES = 2L * TINY.kvDim() * Float.BYTES; // K and V of one position, one layer
    private static final Set<String> KEYS = Set.of("policy", "keep", "reuse", "context", "decode_tokens", "prefill_ms",
            "compress_ms", "score_ms", "compress_pct_of_prefill", "decode_ms_per_token", "jlama_prefill_ms",
            "jlama_decode_ms_per_token", "prefill_ratio_vs_jlama", "decode_speedup_vs_jlama", "predicted_speedup",
            "speedup_vs_predicted", "kept_rows", "kv_bytes", "kv_bytes_full", "weight_bytes");

    @TempDir
    static Path dir;
    private static Path model;

    @BeforeAll
    static void writeModel() {
        model = RandomLlamaWriter.write(TINY, dir.resolve("model"), 1);
    }

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int status = BenchCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : line.substring("bench ".length()).split(" ")) {
            String[] kv = pair.split("=", 2);
            assertEquals(2, kv.length, "not key=value: '" + pair + "' in " + line);
            fields.put(kv[0], kv[1]);
        }
        return fields;
    }

    @Test
    void measuresEveryRowAndAccountsKvBytesByKeptRows() throws Exception {
        Path outFile = dir.resolve("lines.txt");
        Run r = run("--model", model.toString(), "--contexts", String.valueOf(CONTEXT), "--policies", "full,chunkkv",
                "--keep", "1.0,0.1", "--reuse", "1,2",
                "--decode-tokens", "3", "--out", outFile.toString());
        assertEquals(0, r.status(), r.err());

        List<String> lines = r.out().lines().filter(l -> l.startsWith("bench ")).toList();
        // full once; chunkkv keep=1.0 once (reuse is moot without eviction), keep=0.1 with reuse 1 and 2
        assertEquals(List.of("full", "chunkkv", "chunkkv", "chunkkv"), lines.stream().map(l -> fields(l).get("policy")).toList(), r.out());
        assertEquals(lines, Files.readAllLines(outFile));
        assertTrue(r.out().contains("prefill ms"), "the summary table is printed:\n" + r.out());

        long fullRows = (long) TINY.layers() * CONTEXT;
        for (String line : lines) {
            Map<String, String> f = fields(line);
            assertEquals(KEYS, f.keySet(), line);
            assertEquals(CONTEXT, Integer.parseInt(f.get("context")));
            assertEquals(3, Integer.parseInt(f.get("decode_tokens")));
            for (String key : List.of("prefill_ms", "decode_ms_per_token", "jlama_prefill_ms", "jlama_decode_ms_per_token",
                    "prefill_ratio_vs_jlama", "decode_speedup_vs_jlama", "predicted_speedup", "speedup_vs_predicted")) {
                double v = Double.parseDouble(f.get(key));
                assertTrue(v > 0 && Double.isFinite(v), key + " must be a positive number: " + line);
            }
            long kept = Long.parseLong(f.get("kept_rows"));
            long kvBytes = Long.parseLong(f.get("kv_bytes"));
            long fullBytes = Long.parseLong(f.get("kv_bytes_full"));
            assertEquals(kept * ROW_BYTES, kvBytes, "kv_bytes = kept rows × row bytes: " + line);
            assertEquals(fullRows * ROW_BYTES, fullBytes, "kv_bytes_full = layers × context × row bytes: " + line);
            long weights = Long.parseLong(f.get("weight_bytes"));
            double predicted = (double) (weights + fullBytes) / (weights + kvBytes);
            assertEquals(predicted, Double.parseDouble(f.get("predicted_speedup")), 0.001, line);
            if (f.get("keep").equals("1.0")) {
                assertEquals(fullRows, kept, "keep=1.0 keeps every row: " + line);
                assertEquals(0.0, Double.parseDouble(f.get("compress_ms")), line);
            } else {
                assertTrue(kept < fullRows, "keep=0.1 evicts rows: " + line);
            }
        }
    }

    @Test
    void decodeWeightBytesCountTheClassifierNotTheEmbedding() {
        long headSize = TINY.dim() / TINY.heads();
        long perLayer = 2L * TINY.dim() * TINY.dim() + 2L * TINY.kvHeads() * headSize * TINY.dim()
                + 3L * TINY.dim() * TINY.hidden() + 2L * TINY.dim();
        long expected = Float.BYTES * (TINY.layers() * perLayer + TINY.dim() + (long) TINY.vocab() * TINY.dim());
        assertEquals(expected, DecodeWeightBytes.of(model));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--keep 1.5                  | --keep",
        "--keep 0                    | --keep",
        "--contexts 8                | --contexts",
        "--contexts 128,x            | --contexts",
        "--contexts 128,128          | --contexts",
        "--decode-tokens 0           | --decode-tokens",
        "--reuse 0                   | --reuse",
        "--policies chunkkv,bogus    | policy",
        "--threads 0                 | --threads",
        "--decode-tokens             | --decode-tokens",
        "--frobnicate 1              | --frobnicate",
    })
    void badArgumentsExitWithStatus2AndNameTheOption(String args, String named) {
        Run r = run(args.trim().split(" +"));
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains(named), "message names " + named + ": " + r.err());
        assertTrue(r.out().isEmpty(), r.out());
    }

    @Test
    void contextsLongerThanTheModelAreRefusedBeforeMeasuring() {
        Run r = run("--model", model.toString(), "--contexts", "200", "--decode-tokens", "3");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--contexts must be at most"), r.err());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("bench ")), r.out());
    }

    @Test
    void aFolderWithoutAModelIsRefused() {
        Run r = run("--model", dir.resolve("missing").toString(), "--contexts", "64");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("model"), r.err());
        assertTrue(Arrays.stream(r.out().split("\n")).noneMatch(l -> l.startsWith("bench ")));
    }
}
