package io.github.chunkkv.bench;

import java.util.Locale;

/**
 * The yardstick a bench run measures before its rows: this machine's GEMM rate ({@link GemmRate}). The decode floor is
 * timed inside each row instead ({@code decode_floor_ms_per_token}), alternating with the row's steps, so that both
 * see the same load.
 */
record MachineRates(double gemmGflops) {
    /** The machine-readable line: {@code machine key=value ...}. */
    String line() {
        return String.format(Locale.ROOT, "machine gemm_gflops=%.1f", gemmGflops);
    }

    String summary() {
        return String.format(Locale.ROOT, "machine: GEMM rate %.1f GFLOP/s (ChunkKV's F32 GEMM, %d x %d x %d, measured at the start of"
                + " this run)", gemmGflops, GemmRate.ROWS, GemmRate.K, GemmRate.N);
    }
}
