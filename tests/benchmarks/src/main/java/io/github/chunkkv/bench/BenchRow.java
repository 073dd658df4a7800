package io.github.chunkkv.bench;

import io.github.chunkkv.config.KvPrecision;
import io.github.chunkkv.config.Recall;
import java.util.Locale;

/**
 * One measured configuration: stock Jlama and the ChunkKV path on the same model and prompt, in the same run.
 * Ratios are stock time / ChunkKV time, so above 1 means ChunkKV is faster.
 *
 * @param recall where evicted rows went: dropped ({@code off}) or to a cold tier decoding recalls from
 * @param kv the precision of ChunkKV's cache rows
 * @param keptRows cache rows kept after compression, summed over layers
 * @param promotedRows rows decode-time recall moved from the cold tier into the hot cache during the decode steps
 * @param kvBytes K+V bytes after compression (kept rows × row bytes in {@code kv})
 * @param kvBytesAllocated K+V bytes ChunkKV's arrays hold after the decode steps (used + growth slack)
 * @param kvBytesFull K+V bytes stock Jlama's cache holds for the prompt (its working memory type)
 * @param weightBytes weight bytes one decode step reads (every layer and the classifier)
 * @param decodeFloorMs ChunkKV's decode ms/token over the full cache of a tiny prompt, timed alternately with this
 *     row's steps: what a step costs besides attention over a long cache
 * @param oneShotDecodeMsPerToken with recall, the decode ms/token of the same configuration without recall, timed
 *     alternately with this row's steps; NaN (not printed) without recall
 * @param prefillFlops the prompt's prefill arithmetic (see {@link PrefillFlops}), the same work for both paths
 * @param logitMaxAbsDiff with nothing evicted, the largest |logit difference| to stock over prefill and decode steps;
 *     NaN (not printed) when rows were evicted
 */
record BenchRow(
        String policy,
        double keep,
        int reuse,
        Recall recall,
        KvPrecision kv,
        int context,
        int decodeTokens,
        double prefillMs,
        double compressMs,
        double scoreMs,
        double decodeMsPerToken,
        double jlamaPrefillMs,
        double jlamaDecodeMsPerToken,
        long keptRows,
        long promotedRows,
        long kvBytes,
        long kvBytesAllocated,
        long kvBytesFull,
        long weightBytes,
        double decodeFloorMs,
        double oneShotDecodeMsPerToken,
        long prefillFlops,
        float logitMaxAbsDiff) {

    /** ChunkKV prefill throughput in prompt tokens per second (compression included). */
    double prefillTokensPerS() {
        return context * 1000.0 / prefillMs;
    }

    /** Stock prefill throughput in prompt tokens per second. */
    double jlamaPrefillTokensPerS() {
        return context * 1000.0 / jlamaPrefillMs;
    }

    /** ChunkKV's achieved arithmetic rate in prefill: {@link #prefillFlops} / prefill time. */
    double prefillGflops() {
        return prefillFlops / (prefillMs * 1e6);
    }

    /** Stock's achieved arithmetic rate in prefill. */
    double jlamaPrefillGflops() {
        return prefillFlops / (jlamaPrefillMs * 1e6);
    }

    /** Stock prefill time / ChunkKV prefill time (compression included). */
    double prefillRatioVsJlama() {
        return jlamaPrefillMs / prefillMs;
    }

    /** Stock decode time per token / ChunkKV decode time per token. */
    double decodeSpeedupVsJlama() {
        return jlamaDecodeMsPerToken / decodeMsPerToken;
    }

    /** The decode speedup that bytes moved per step predict, for a decode step bound by memory traffic. */
    double predictedSpeedup() {
        return (double) (weightBytes + kvBytesFull) / (weightBytes + kvBytes);
    }

    /**
     * The decode speedup predicted from the measured floor instead of weight bytes: stock's step is the floor plus its
     * KV part, ChunkKV's the floor plus that KV part scaled by the bytes it keeps. Where the weights' matrix products
     * are compute-bound (Jlama's Q4 kernels), the floor is far above what their bytes would take, and
     * {@link #predictedSpeedup()} overstates what eviction can gain.
     */
    double floorPredictedSpeedup() {
        double stockKvMs = Math.max(0, jlamaDecodeMsPerToken - decodeFloorMs);
        return jlamaDecodeMsPerToken / (decodeFloorMs + stockKvMs * kvBytes / kvBytesFull);
    }

    /** One-shot decode time per token / this row's, for a row with recall: 1 when recall costs nothing while decoding. */
    double decodeVsOneShot() {
        return oneShotDecodeMsPerToken / decodeMsPerToken;
    }

    /** Measured decode speedup as a fraction of the predicted one. */
    double speedupVsPredicted() {
        return decodeSpeedupVsJlama() / predictedSpeedup();
    }

    /** Compression time as a percentage of the ChunkKV prefill. */
    double compressPctOfPrefill() {
        return 100 * compressMs / prefillMs;
    }

    /** The machine-readable line: {@code bench key=value ...}. */
    String line() {
        return String.format(Locale.ROOT,
                "bench policy=%s keep=%s reuse=%d recall=%s kv=%s context=%d decode_tokens=%d prefill_ms=%.1f compress_ms=%.2f score_ms=%.2f"
                        + " compress_pct_of_prefill=%.2f decode_ms_per_token=%.2f jlama_prefill_ms=%.1f jlama_decode_ms_per_token=%.2f"
                        + " prefill_ratio_vs_jlama=%.3f decode_speedup_vs_jlama=%.3f predicted_speedup=%.3f speedup_vs_predicted=%.3f"
                        + " decode_floor_ms_per_token=%.2f predicted_speedup_floor=%.3f"
                        + " prefill_tokens_per_s=%.1f prefill_gflops=%.4g jlama_prefill_tokens_per_s=%.1f jlama_prefill_gflops=%.4g"
                        + " kept_rows=%d promoted_rows=%d kv_bytes=%d kv_bytes_allocated=%d kv_bytes_full=%d weight_bytes=%d%s%s",
                policy, trim(keep), reuse, recall.specName(), kv.specName(), context, decodeTokens, prefillMs, compressMs, scoreMs, compressPctOfPrefill(),
                decodeMsPerToken, jlamaPrefillMs, jlamaDecodeMsPerToken, prefillRatioVsJlama(), decodeSpeedupVsJlama(),
                predictedSpeedup(), speedupVsPredicted(), decodeFloorMs, floorPredictedSpeedup(), prefillTokensPerS(), prefillGflops(),
                jlamaPrefillTokensPerS(), jlamaPrefillGflops(), keptRows, promotedRows, kvBytes, kvBytesAllocated, kvBytesFull, weightBytes,
                Double.isNaN(oneShotDecodeMsPerToken) ? "" : String.format(Locale.ROOT,
                        " one_shot_decode_ms_per_token=%.3f decode_vs_one_shot=%.3f", oneShotDecodeMsPerToken, decodeVsOneShot()),
                Float.isNaN(logitMaxAbsDiff) ? "" : String.format(Locale.ROOT, " logit_max_abs_diff=%.3g", logitMaxAbsDiff));
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.format(Locale.ROOT, "%.1f", d) : Double.toString(d);
    }
}
