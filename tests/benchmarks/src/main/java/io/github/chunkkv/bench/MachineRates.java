package io.github.chunkkv.bench;

import java.util.Locale;

/**
 * The yardsticks a bench run measures before its rows: this machine's GEMM rate ({@link GemmRate}) and the decode floor
 * (decode ms/token with a tiny cache, see {@link EndToEndBenchmark#decodeFloorMs}).
 */
record MachineRates(double gemmGflops, double decodeFloorMsPerToken) {
    /** The machine-readable line: {@code machine key=value ...}. */
    String line() {
        return String.format(Locale.ROOT, "machine gemm_gflops=%.1f decode_floor_ms_per_token=%.2f", gemmGflops, decodeFloorMsPerToken);
    }

    String summary() {
        return String.format(Locale.ROOT, "machine: GEMM rate %.1f GFLOP/s (ChunkKV's F32 GEMM, %d x %d x %d, measured at the start of"
                        + " this run); decode floor %.2f ms/token (full cache of a %d-token prompt)", gemmGflops, GemmRate.ROWS, GemmRate.K,
                GemmRate.N, decodeFloorMsPerToken, EndToEndBenchmark.FLOOR_CONTEXT);
    }
}
