package io.github.chunkkv.jlama;

import java.util.Arrays;

/**
 * What one prefill cost and what its compression kept. For a prefill in segments ({@code segment=N}) the "before"
 * values are the largest over its segments (the peak the hot cache reached) and the times are summed.
 *
 * @param promptTokens tokens prefilled by this call
 * @param cachedBefore cache rows per layer just before compression (earlier turns' kept rows + this prompt)
 * @param keptPerLayer cache rows per layer after compression
 * @param kvBytesBefore K+V bytes of all layers before compression
 * @param kvBytesAfter K+V bytes of all layers after compression (kept rows × row bytes)
 * @param kvAllocatedPerLayer K+V bytes each layer's arrays hold right after the prefill, used or not (every prefill ends
 *     with the arrays trimmed to the cached rows; decoding then grows them, see {@link KvSession#kvAllocatedBytes()})
 * @param scoreNanos time spent computing the observed attention the scorers asked for (the bulk of scoring)
 * @param selectNanos time spent turning the layer into scores (pooling, head reduction, key statistics) and choosing kept rows
 * @param compactNanos time spent gathering kept rows
 * @param prefillNanos wall time of the prefill, compression included
 */
public record CompressionStats(
        int promptTokens,
        int cachedBefore,
        int[] keptPerLayer,
        long kvBytesBefore,
        long kvBytesAfter,
        long[] kvAllocatedPerLayer,
        long scoreNanos,
        long selectNanos,
        long compactNanos,
        long prefillNanos) {

    /** Time spent compressing: scoring + selection + compaction. */
    public long compressNanos() {
        return scoreNanos + selectNanos + compactNanos;
    }

    /** The stats of a segmented prefill so far, followed by those of its next segment. */
    CompressionStats followedBy(CompressionStats next) {
        return new CompressionStats(promptTokens + next.promptTokens, Math.max(cachedBefore, next.cachedBefore), next.keptPerLayer,
                Math.max(kvBytesBefore, next.kvBytesBefore), next.kvBytesAfter, next.kvAllocatedPerLayer, scoreNanos + next.scoreNanos,
                selectNanos + next.selectNanos, compactNanos + next.compactNanos, prefillNanos + next.prefillNanos);
    }

    /** Kept rows summed over layers. */
    public long keptTotal() {
        return Arrays.stream(keptPerLayer).asLongStream().sum();
    }

    /** K+V bytes all layers' arrays hold right after compression, used or not. */
    public long kvAllocatedBytesAfter() {
        return Arrays.stream(kvAllocatedPerLayer).sum();
    }

    /** Mean kept rows per layer. */
    public double keptMean() {
        return keptPerLayer.length == 0 ? 0 : (double) keptTotal() / keptPerLayer.length;
    }

    @Override
    public String toString() {
        return String.format(
                "prompt=%d cached=%d kept/layer=%.1f kv_bytes=%d->%d kv_bytes_allocated=%d prefill=%.1fms compress=%.2fms"
                        + " (score %.2f, select %.2f, compact %.2f)",
                promptTokens, cachedBefore, keptMean(), kvBytesBefore, kvBytesAfter, kvAllocatedBytesAfter(), prefillNanos / 1e6,
                compressNanos() / 1e6, scoreNanos / 1e6, selectNanos / 1e6, compactNanos / 1e6);
    }
}
