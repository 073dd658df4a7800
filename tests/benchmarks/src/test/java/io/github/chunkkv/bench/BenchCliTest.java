package io.github.chunkkv.bench;

import static io.github.chunkkv.bench.BenchCliRuns.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.bench.BenchCliRuns.Run;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.convert.RandomLlamaWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runs the benchmark end to end on a tiny random model; checks the output's form and byte accounting, never timings. */
class BenchCliTest {
    private static final RandomLlamaWriter.Shape TINY = BenchCliRuns.TINY;
    private static final int CONTEXT = 128;
    private static final long ROW_BYTES = 2L * TINY.kvDim() * Float.BYTES; // K and V of one position, one layer
    private static final Set<String> KEYS = Set.of("policy", "keep", "reuse", "recall", "kv", "context", "decode_tokens", "prefill_ms",
            "compress_ms", "score_ms", "compress_pct_of_prefill", "decode_ms_per_token", "jlama_prefill_ms",
            "jlama_decode_ms_per_token", "prefill_ratio_vs_jlama", "decode_speedup_vs_jlama", "predicted_speedup",
            "speedup_vs_predicted", "decode_floor_ms_per_token", "predicted_speedup_floor", "prefill_tokens_per_s", "prefill_gflops",
            "jlama_prefill_tokens_per_s", "jlama_prefill_gflops", "kept_rows", "promoted_rows", "kv_bytes", "kv_bytes_allocated", "kv_bytes_full", "weight_bytes");
    /** Only rows that evict nothing compare logits with stock Jlama. */
    private static final String LOGIT_DIFF = "logit_max_abs_diff";

    @TempDir
    static Path dir;
    private static Path model;

    @BeforeAll
    static void writeModel() {
        model = BenchCliRuns.writeTinyModel(dir);
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : line.substring(line.indexOf(' ') + 1).split(" ")) {
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
        List<String> machine = r.out().lines().filter(l -> l.startsWith("machine ")).toList();
        assertEquals(1, machine.size(), "one machine line before the rows:\n" + r.out());
        Map<String, String> rates = fields(machine.get(0));
        assertEquals(Set.of("gemm_gflops"), rates.keySet(), machine.get(0));
        for (String rate : rates.values()) assertTrue(Double.parseDouble(rate) > 0, machine.get(0));
        assertEquals(Stream.concat(machine.stream(), lines.stream()).toList(), Files.readAllLines(outFile));
        assertTrue(r.out().contains("prefill ms") && r.out().contains("machine: GEMM rate"), "the summary table is printed:\n" + r.out());

        long fullRows = (long) TINY.layers() * CONTEXT;
        for (String line : lines) {
            Map<String, String> f = fields(line);
            boolean keepsAll = f.get("keep").equals("1.0");
            assertEquals(keepsAll, f.containsKey(LOGIT_DIFF), line);
            if (keepsAll) assertTrue(Double.parseDouble(f.remove(LOGIT_DIFF)) <= 1e-3, "keep=1.0 reproduces stock Jlama: " + line);
            assertEquals(KEYS, f.keySet(), line);
            assertEquals("f32", f.get("kv"), "the default precision is the model's working memory type");
            assertEquals("off", f.get("recall"), "recall is off unless asked for: " + line);
            assertEquals(0, Long.parseLong(f.get("promoted_rows")), "nothing to promote without recall: " + line);
            assertEquals(CONTEXT, Integer.parseInt(f.get("context")));
            assertEquals(3, Integer.parseInt(f.get("decode_tokens")));
            for (String key : List.of("prefill_ms", "decode_ms_per_token", "jlama_prefill_ms", "jlama_decode_ms_per_token",
                    "prefill_ratio_vs_jlama", "decode_speedup_vs_jlama", "predicted_speedup", "speedup_vs_predicted",
                    "decode_floor_ms_per_token", "predicted_speedup_floor", "prefill_tokens_per_s", "prefill_gflops",
                    "jlama_prefill_tokens_per_s", "jlama_prefill_gflops")) {
                double v = Double.parseDouble(f.get(key));
                assertTrue(v > 0 && Double.isFinite(v), key + " must be a positive number: " + line);
            }
            double prefillMs = Double.parseDouble(f.get("prefill_ms")), tokensPerS = Double.parseDouble(f.get("prefill_tokens_per_s"));
            // prefill_ms is printed to 0.1 ms, which on a tiny prompt is a few percent of it: allow that rounding.
            assertTrue(tokensPerS >= CONTEXT * 1000 / (prefillMs + 0.05) - 0.05 && tokensPerS <= CONTEXT * 1000 / (prefillMs - 0.05) + 0.05,
                    "tokens/s = context / prefill time: " + line);
            double ratio = Double.parseDouble(f.get("prefill_ratio_vs_jlama"));
            assertEquals(ratio, Double.parseDouble(f.get("prefill_gflops")) / Double.parseDouble(f.get("jlama_prefill_gflops")),
                    0.03 * ratio, "both paths are credited the same flops (up to the printed rounding): " + line);
            long kept = Long.parseLong(f.get("kept_rows"));
            long kvBytes = Long.parseLong(f.get("kv_bytes"));
            long fullBytes = Long.parseLong(f.get("kv_bytes_full"));
            assertEquals(kept * ROW_BYTES, kvBytes, "kv_bytes = kept rows × row bytes: " + line);
            long allocated = Long.parseLong(f.get("kv_bytes_allocated"));
            long slackRows = TINY.layers() * (16L + 5 + 1) + kept / 8; // growth by an eighth (of up to 5 more rows) plus 16 rows
            assertTrue(allocated >= kvBytes && allocated <= kvBytes + slackRows * ROW_BYTES, "allocated within the stated slack: " + line);
            assertEquals(fullRows * ROW_BYTES, fullBytes, "kv_bytes_full = layers × context × row bytes: " + line);
            long weights = Long.parseLong(f.get("weight_bytes"));
            double predicted = (double) (weights + fullBytes) / (weights + kvBytes);
            assertEquals(predicted, Double.parseDouble(f.get("predicted_speedup")), 0.001, line);
            // Its inputs are printed to 0.01 ms, a few percent of a tiny model's step: the printed prediction must be
            // what some inputs within that rounding give.
            double floor = Double.parseDouble(f.get("decode_floor_ms_per_token")), stock = Double.parseDouble(f.get("jlama_decode_ms_per_token"));
            double low = Double.MAX_VALUE, high = 0;
            for (double fl : new double[] {floor - 0.005, floor + 0.005}) {
                for (double st : new double[] {stock - 0.005, stock + 0.005}) {
                    double fromFloor = st / (fl + Math.max(0, st - fl) * kvBytes / fullBytes);
                    low = Math.min(low, fromFloor);
                    high = Math.max(high, fromFloor);
                }
            }
            double printed = Double.parseDouble(f.get("predicted_speedup_floor"));
            assertTrue(printed >= low - 0.001 && printed <= high + 0.001, "predicted from the floor in [" + low + ", " + high + "]: " + line);
            if (f.get("keep").equals("1.0")) {
                assertEquals(fullRows, kept, "keep=1.0 keeps every row: " + line);
                assertEquals(0.0, Double.parseDouble(f.get("compress_ms")), line);
            } else {
                assertTrue(kept < fullRows, "keep=0.1 evicts rows: " + line);
            }
        }
    }

    @Test
    void recallRowsSitBesideOneShotRowsAtTheSameKeep() {
        Run r = run("--model", model.toString(), "--contexts", String.valueOf(CONTEXT), "--policies", "full,chunkkv",
                "--keep", "1.0,0.1", "--recall", "off,ram,disk", "--decode-tokens", "3");
        assertEquals(0, r.status(), r.err());
        List<Map<String, String>> rows = r.out().lines().filter(l -> l.startsWith("bench ")).map(BenchCliTest::fields).toList();
        // full and keep=1.0 once each (recall is moot without eviction), keep=0.1 once per recall mode
        assertEquals(List.of("full:1.0:off", "chunkkv:1.0:off", "chunkkv:0.1:off", "chunkkv:0.1:ram", "chunkkv:0.1:disk"),
                rows.stream().map(f -> f.get("policy") + ":" + f.get("keep") + ":" + f.get("recall")).toList(), r.out());
        Map<String, String> oneShot = rows.get(2);
        assertFalse(oneShot.containsKey("decode_vs_one_shot"), "a one-shot row has no one-shot twin: " + oneShot);
        for (Map<String, String> recall : rows.subList(3, 5)) {
            assertEquals(oneShot.get("kept_rows"), recall.get("kept_rows"), "recall keeps the same hot rows after the prefill: " + recall);
            double twinMs = Double.parseDouble(recall.get("one_shot_decode_ms_per_token")), ms = Double.parseDouble(recall.get("decode_ms_per_token"));
            assertTrue(twinMs > 0, "a recall row times its one-shot twin alongside: " + recall);
            assertEquals(twinMs / ms, Double.parseDouble(recall.get("decode_vs_one_shot")), 0.02 * twinMs / ms + 0.002,
                    "decode_vs_one_shot = one-shot ms / recall ms (up to the printed rounding): " + recall);
        }
        assertTrue(r.out().contains("recall"), "the table has a recall column:\n" + r.out());
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
        "--warmup-steps -1           | --warmup-steps",
        "--reuse 0                   | --reuse",
        "--policies chunkkv,bogus    | policy",
        "--threads 0                 | --threads",
        "--decode-tokens             | --decode-tokens",
        "--frobnicate 1              | --frobnicate",
        "--kv f16                    | --kv",
        "--recall ram,bogus          | --recall",
        "--recall off,off            | --recall",
        "--weights q8                | --weights",
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
    void q8RowsTakeTheirBytesAndKeepComposes() {
        Run r = run("--model", model.toString(), "--contexts", String.valueOf(CONTEXT), "--keep", "0.1", "--kv", "q8", "--decode-tokens", "2");
        assertEquals(0, r.status(), r.err());
        long q8RowBytes = 2L * (TINY.kvDim() + TINY.kvHeads() * Float.BYTES);
        for (String line : r.out().lines().filter(l -> l.startsWith("bench ")).toList()) {
            Map<String, String> f = fields(line);
            assertEquals("q8", f.get("kv"));
            assertEquals(Long.parseLong(f.get("kept_rows")) * q8RowBytes, Long.parseLong(f.get("kv_bytes")), line);
            assertEquals((long) TINY.layers() * CONTEXT * ROW_BYTES, Long.parseLong(f.get("kv_bytes_full")), "stock's cache stays F32: " + line);
        }
    }

    @Test
    void weightsApplyToTheRandomModelOnly() {
        Run r = run("--model", model.toString(), "--weights", "q4", "--contexts", "64");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--weights applies to the random model only"), r.err());
    }

    @Test
    void helpIsGeneratedAndListsEveryOption() {
        Run r = run("--help");
        assertEquals(0, r.status(), r.err());
        for (String option : List.of("--model", "--weights", "--contexts", "--keep", "--policies", "--reuse", "--recall", "--kv", "--decode-tokens",
                "--warmup-steps", "--threads", "--out", "Exit codes")) {
            assertTrue(r.out().contains(option), option + " in:\n" + r.out());
        }
    }

    @Test
    void aFolderWithoutAModelIsRefused() {
        Run r = run("--model", dir.resolve("missing").toString(), "--contexts", "64");
        assertEquals(ExitCodes.MISSING_MODEL, r.status(), r.err());
        assertTrue(r.err().contains("model"), r.err());
        assertTrue(Arrays.stream(r.out().split("\n")).noneMatch(l -> l.startsWith("bench ")));
    }
}
