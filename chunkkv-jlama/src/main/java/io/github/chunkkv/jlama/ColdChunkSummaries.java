package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;

/**
 * Quest-style summaries of the cold tier, per layer: for each chunk of {@code chunk} consecutive positions (chunk id =
 * position / chunk, the policy's own chunks) with cold rows, and each KV head, the elementwise minimum and maximum of
 * the cold rows' keys. They bound q·k of any key of the chunk (see {@link Kernels#chunkUpperBounds}), so decoding can
 * find the cold chunks a query may attend to without reading their rows.
 *
 * <p>The bounds are taken over the dequantized keys, which are what a promotion brings back, and stored as Q8 codes
 * rounded outwards (minimum down, maximum up) with one scale per chunk and KV head: 2 bytes per key value and chunk,
 * about 1/(4 × chunk) of the float32 rows they summarise, which matters for {@code recall=disk} where these stay in
 * RAM and the rows do not. Arrays are indexed by chunk id and grow with the highest cold position.
 */
final class ColdChunkSummaries {
    private final Kernels kernels;
    private final int chunk, rowStride, headSize, kvHeads;
    private final byte[][] lows, highs;
    private final float[][] scales;
    private final int[][] coldRows;
    private final int[] chunks;

    ColdChunkSummaries(Kernels kernels, int layers, int chunk, int rowStride, int headSize) {
        this.kernels = kernels;
        this.chunk = chunk;
        this.rowStride = rowStride;
        this.headSize = headSize;
        this.kvHeads = rowStride / headSize;
        this.lows = new byte[layers][0];
        this.highs = new byte[layers][0];
        this.scales = new float[layers][0];
        this.coldRows = new int[layers][0];
        this.chunks = new int[layers];
    }

    int chunkSize() {
        return chunk;
    }

    /** Chunk ids below this may have cold rows in the layer. */
    int chunks(int layer) {
        return chunks[layer];
    }

    /** Cold rows of a chunk; 0 means its summary is stale and must be ignored. */
    int coldRows(int layer, int chunkId) {
        return coldRows[layer][chunkId];
    }

    /**
     * Quest bounds of {@code queries} query heads reading KV head {@code kvHead} over chunks [0, {@link #chunks}) of a
     * layer: {@code out[i * chunks + c]} for query i, given split into its positive and negative parts (see
     * {@link Kernels#chunkUpperBounds}) at {@code qOff + i * headSize}.
     */
    void upperBounds(int layer, float[] positive, float[] negative, int qOff, int queries, int kvHead, float[] out) {
        kernels.chunkUpperBounds(positive, negative, qOff, queries, lows[layer], highs[layer], scales[layer], kvHeads, kvHead, headSize,
                chunks[layer], out, 0);
    }

    /** Widens the summaries by rows entering the tier (ascending positions, as {@link ColdRows} hold them). */
    void add(int layer, ColdRows rows) {
        int n = rows.rows();
        if (n == 0) return;
        ensureChunks(layer, rows.positions()[n - 1] / chunk + 1);
        float[] key = new float[rowStride], min = new float[rowStride], max = new float[rowStride];
        for (int start = 0; start < n; ) {
            int id = rows.positions()[start] / chunk, end = start;
            if (coldRows[layer][id] > 0) decode(layer, id, min, max);
            else {
                Arrays.fill(min, Float.POSITIVE_INFINITY);
                Arrays.fill(max, Float.NEGATIVE_INFINITY);
            }
            for (; end < n && rows.positions()[end] / chunk == id; end++) {
                kernels.dequantizeQ8(rows.codes(), end * 2 * rowStride, rows.scales(), end * 2 * kvHeads, kvHeads, headSize, key, 0);
                for (int i = 0; i < rowStride; i++) {
                    min[i] = Math.min(min[i], key[i]);
                    max[i] = Math.max(max[i], key[i]);
                }
            }
            encode(layer, id, min, max);
            coldRows[layer][id] += end - start;
            start = end;
        }
    }

    /** Forgets a chunk whose cold rows all left the tier. */
    void remove(int layer, int chunkId) {
        coldRows[layer][chunkId] = 0;
    }

    void clear() {
        for (int[] counts : coldRows) Arrays.fill(counts, 0);
        Arrays.fill(chunks, 0);
    }

    /** Heap bytes of the summaries. */
    long bytes() {
        long bytes = 0;
        for (int l = 0; l < lows.length; l++) bytes += 2L * lows[l].length + 4L * scales[l].length + 4L * coldRows[l].length;
        return bytes;
    }

    /** The stored bounds of a chunk as floats (each at least as wide as the keys it summarises). */
    private void decode(int layer, int id, float[] min, float[] max) {
        for (int g = 0; g < kvHeads; g++) {
            float s = scales[layer][id * kvHeads + g];
            for (int j = 0; j < headSize; j++) {
                int at = id * rowStride + g * headSize + j;
                min[g * headSize + j] = lows[layer][at] * s;
                max[g * headSize + j] = highs[layer][at] * s;
            }
        }
    }

    /** Q8 codes rounded outwards, so lows * scale <= min and highs * scale >= max. */
    private void encode(int layer, int id, float[] min, float[] max) {
        for (int g = 0; g < kvHeads; g++) {
            float amax = 0f;
            for (int j = g * headSize; j < (g + 1) * headSize; j++) amax = Math.max(amax, Math.max(Math.abs(min[j]), Math.abs(max[j])));
            float s = amax == 0f ? 0f : Math.nextUp(amax / 127f); // nextUp: |x| / s stays within 127
            scales[layer][id * kvHeads + g] = s;
            for (int j = 0; j < headSize; j++) {
                int at = id * rowStride + g * headSize + j, i = g * headSize + j;
                lows[layer][at] = s == 0f ? 0 : (byte) Math.max(-127, (int) Math.floor(min[i] / s));
                highs[layer][at] = s == 0f ? 0 : (byte) Math.min(127, (int) Math.ceil(max[i] / s));
            }
        }
    }

    private void ensureChunks(int layer, int needed) {
        if (needed > coldRows[layer].length) {
            int grown = Math.max(needed, coldRows[layer].length + (coldRows[layer].length >> 3)); // resident bytes matter more than copies
            lows[layer] = Arrays.copyOf(lows[layer], grown * rowStride);
            highs[layer] = Arrays.copyOf(highs[layer], grown * rowStride);
            scales[layer] = Arrays.copyOf(scales[layer], grown * kvHeads);
            coldRows[layer] = Arrays.copyOf(coldRows[layer], grown);
        }
        chunks[layer] = Math.max(chunks[layer], needed);
    }
}
