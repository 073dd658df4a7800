package io.github.chunkkv.bench;

import java.util.List;
import java.util.Locale;

/** The human-readable summary table of a benchmark run. */
final class BenchTable {
    private static final String HEADER_FORMAT =
            "%-12s %5s %5s %6s %7s | %10s %10s %7s | %8s %8s %8s %8s | %10s %8s | %9s %9s %8s %9s %8s %10s %9s | %9s %9s%n";
    private static final String ROW_FORMAT =
            "%-12s %5s %5d %6s %7d | %10.1f %10.1f %7.3f | %8.0f %8.1f %8.0f %8.1f | %10.2f %7.2f%% | %9.2f %9.2f %8.3f %9.3f %7.0f%% %10.3f %9s | %9.1f %9.1f%n";

    private BenchTable() {}

    /** The table of {@code rows}, closed by the machine's yardsticks measured at the start of the run. */
    static String format(List<BenchRow> rows, MachineRates machine) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, HEADER_FORMAT, "policy", "keep", "reuse", "recall", "context", "prefill ms", "jlama ms",
                "ratio", "tok/s", "GFLOP/s", "jl tok/s", "jl GF/s", "compress", "of pref", "decode ms", "jlama ms", "speedup",
                "predicted", "of pred", "pred floor", "vs 1-shot", "KV MiB", "full MiB"));
        for (BenchRow r : rows) {
            sb.append(String.format(Locale.ROOT, ROW_FORMAT, r.policy(), r.keep(), r.reuse(), r.recall().specName(), r.context(), r.prefillMs(),
                    r.jlamaPrefillMs(), r.prefillRatioVsJlama(), r.prefillTokensPerS(), r.prefillGflops(), r.jlamaPrefillTokensPerS(),
                    r.jlamaPrefillGflops(), r.compressMs(), r.compressPctOfPrefill(), r.decodeMsPerToken(),
                    r.jlamaDecodeMsPerToken(), r.decodeSpeedupVsJlama(), r.predictedSpeedup(), 100 * r.speedupVsPredicted(),
                    r.floorPredictedSpeedup(), Double.isNaN(r.decodeVsOneShot()) ? "-" : String.format(Locale.ROOT, "%.3f", r.decodeVsOneShot()),
                    r.kvBytes() / 1048576.0, r.kvBytesFull() / 1048576.0));
        }
        sb.append("ratio and speedup = stock Jlama time / ChunkKV time (above 1: ChunkKV faster); prefill includes compression;"
                + " GFLOP/s = prefill matmul + attention flops / prefill time\n");
        sb.append(String.format(Locale.ROOT, "predicted: from bytes moved per step; pred floor: from the decode floor (ChunkKV's step over"
                + " a %d-token full cache, timed alongside each row) plus stock's KV time scaled by the bytes kept%n",
                EndToEndBenchmark.FLOOR_CONTEXT));
        sb.append("vs 1-shot: with recall, the same configuration's decode time without recall (timed alongside) / this row's\n");
        sb.append(machine.summary()).append('\n');
        return sb.toString();
    }
}
