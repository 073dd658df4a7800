package io.github.chunkkv.jlama;

import io.github.chunkkv.config.Recall;
import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;

/**
 * The rows a session's policy evicted, kept so that a later turn can recall them. Rows are stored in Q8: one int8
 * code per value and one float scale per KV head of a row (max |x| / 127), about a quarter of the float32 hot rows.
 *
 * <p>Why Q8 with a per-head scale: measured on the real stories260K weights with the whole cache (200 prompt tokens,
 * then 40 teacher-forced decode steps, 6 prompts) round-tripped through each format, against the float32 cache:
 * <pre>
 *   format         bytes/value (head size 8 | 64)   K/V rel. RMS error   KL (nats)   top-1 agreement
 *   Q8, head scale        1.50 | 1.06                    0.50%            2.7e-4        0.992
 *   Q8, row scale         1.06 | 1.01                    0.72%            1.1e-3        0.983
 *   BF16                  2.00 | 2.00                    0.17%            3.5e-5        1.000
 * </pre>
 * BF16 is more precise, but at the head sizes of real LLMs it takes twice the memory, and that worst case (every row
 * cold) overstates the effect: rows that stay hot keep float32, only recalled rows carry the Q8 error. Per-head
 * scales cost little and absorb the magnitude differences between heads that a per-row scale does not.
 *
 * <p>Subclasses decide where the encoded rows live; positions always stay in memory (4 bytes a row) so that rows
 * can be merged back in position order. When decoding recalls chunks ({@code promote > 0}), the tier also keeps a
 * {@link KeySketch} of its rows' keys in memory.
 */
abstract class ColdTier implements AutoCloseable {
    private final Kernels kernels;
    final int rowStride, headSize, kvHeads;
    private final KeySketch sketch; // null when decoding does not recall chunks
    private final ChunkKeys chunkKeys = new ChunkKeys();

    /** @param sketchRank most directions of the key sketch per KV head (see {@link KeySketch}) */
    ColdTier(Kernels kernels, int layers, int rowStride, int headSize, int sketchChunk, int sketchRank) {
        this.kernels = kernels;
        this.rowStride = rowStride;
        this.headSize = headSize;
        this.kvHeads = rowStride / headSize;
        this.sketch = sketchChunk == 0 ? null : new KeySketch(kernels, layers, sketchChunk, rowStride, headSize, sketchRank);
    }

    /**
     * The tier {@code recall} names, or null for {@link Recall#OFF}.
     *
     * @param sketchChunk positions per chunk of decode-time recall, which reads the key sketch; 0 keeps no sketch
     */
    static ColdTier create(Recall recall, int layers, int rowStride, int headSize, int sketchChunk, Kernels kernels) {
        return switch (recall) {
            case OFF -> null;
            case RAM -> new RamColdTier(kernels, layers, rowStride, headSize, sketchChunk);
            case DISK -> DiskColdTier.open(kernels, layers, rowStride, headSize, sketchChunk);
        };
    }

    /** The key sketch, or null when decoding does not recall chunks. */
    final KeySketch sketch() {
        return sketch;
    }

    /** Encodes and stores the rows of {@code cache} that are not among {@code keptSlots} (ascending). */
    final void demote(int layer, LayerKvCache cache, int[] keptSlots) {
        int evicted = cache.size() - keptSlots.length;
        if (evicted == 0) return;
        int[] positions = new int[evicted];
        byte[] codes = new byte[evicted * 2 * rowStride];
        float[] scales = new float[evicted * 2 * kvHeads];
        float[] keys = cache.keys(), values = cache.values();
        for (int slot = 0, k = 0, r = 0; slot < cache.size(); slot++) {
            if (k < keptSlots.length && keptSlots[k] == slot) {
                k++;
                continue;
            }
            positions[r] = cache.position(slot);
            kernels.quantizeQ8(keys, slot * rowStride, kvHeads, headSize, codes, r * 2 * rowStride, scales, r * 2 * kvHeads);
            kernels.quantizeQ8(values, slot * rowStride, kvHeads, headSize, codes, r * 2 * rowStride + rowStride, scales,
                    r * 2 * kvHeads + kvHeads);
            r++;
        }
        store(layer, new ColdRows(positions, codes, scales));
    }

    /** Decodes every cold row of every layer back into its hot cache, in position order, and empties the tier. */
    final void promoteAll(LayerKvCache[] caches) {
        for (int l = 0; l < caches.length; l++) decodeInto(rows(l), caches[l]);
        clear();
    }

    /** Rows decoded to float32, row-major like a cache; positions ascending. */
    record DecodedRows(int[] positions, float[] keys, float[] values) {}

    /**
     * Moves a layer's cold rows of the given chunks (ids ascending, as {@link #sketch()} numbers them) back into
     * its hot cache, in position order; returns the rows that moved, as decoded.
     */
    final DecodedRows promoteChunks(int layer, int[] chunkIds, LayerKvCache cache) {
        ColdRows taken = takeChunks(layer, chunkIds, sketch.chunkSize());
        for (int id : chunkIds) sketch.remove(layer, id);
        return decodeInto(taken, cache);
    }

    /**
     * Where the keys of some chunks' cold rows lie, for decode-time recall to score them where they are: the i-th
     * chunk's rows are [{@link #from}(i), {@link #to}(i)); row r's key codes of KV head g start at
     * {@code codes()[r * codeStride() + g * headSize]} and its key scale is {@code scales()[r * scaleStride() + g]}. A
     * view of the tier's own rows or of its scratch, reused by the next call: valid until the tier is read or changed.
     */
    static final class ChunkKeys {
        private byte[] codes;
        private float[] scales;
        private int codeStride, scaleStride;
        private int[] from = new int[0], to = new int[0];

        void reset(int chunks) {
            if (from.length < chunks) {
                from = new int[chunks];
                to = new int[chunks];
            }
        }

        void rows(byte[] codes, int codeStride, float[] scales, int scaleStride) {
            this.codes = codes;
            this.codeStride = codeStride;
            this.scales = scales;
            this.scaleStride = scaleStride;
        }

        void chunk(int i, int firstRow, int endRow) {
            from[i] = firstRow;
            to[i] = endRow;
        }

        byte[] codes() {
            return codes;
        }

        float[] scales() {
            return scales;
        }

        int codeStride() {
            return codeStride;
        }

        int scaleStride() {
            return scaleStride;
        }

        int from(int i) {
            return from[i];
        }

        int to(int i) {
            return to[i];
        }
    }

    /**
     * Where the keys of a layer's cold rows in the chunks {@code chunkIds[0, count)} (ascending, as {@link #sketch()}
     * numbers them) lie; the rows stay cold. Decoding scores a few dozen chunks per layer and step, so this neither
     * copies values nor allocates once its scratch has grown.
     */
    final ChunkKeys chunkKeys(int layer, int[] chunkIds, int count) {
        chunkKeys.reset(count);
        locateKeys(layer, chunkIds, count, sketch.chunkSize(), chunkKeys);
        return chunkKeys;
    }

    /** Fills {@code keys} for {@link #chunkKeys}, whose capacity is already {@code count} chunks. */
    abstract void locateKeys(int layer, int[] chunkIds, int count, int chunk, ChunkKeys keys);

    private DecodedRows decodeInto(ColdRows cold, LayerKvCache cache) {
        int n = cold.rows();
        float[] keys = new float[n * rowStride], values = new float[n * rowStride];
        for (int r = 0; r < n; r++) {
            kernels.dequantizeQ8(cold.codes(), r * 2 * rowStride, cold.scales(), r * 2 * kvHeads, kvHeads, headSize, keys, r * rowStride);
            kernels.dequantizeQ8(cold.codes(), r * 2 * rowStride + rowStride, cold.scales(), r * 2 * kvHeads + kvHeads, kvHeads,
                    headSize, values, r * rowStride);
        }
        cache.merge(keys, values, cold.positions());
        return new DecodedRows(cold.positions(), keys, values);
    }

    /** Adds encoded rows (ascending positions) to a layer: a demotion, or a snapshot being loaded. */
    final void store(int layer, ColdRows rows) {
        if (rows.rows() == 0) return;
        write(layer, rows);
        if (sketch != null) sketch.add(layer, rows, () -> rows(layer));
    }

    /** Forgets every cold row. */
    final void clear() {
        if (sketch != null) sketch.clear();
        forget();
    }

    /** Bytes of the tier held in memory: cold rows (for {@code disk}: only their positions) and the key sketch. */
    final long ramBytes() {
        return rowRamBytes() + (sketch == null ? 0 : sketch.bytes());
    }

    /** Positions of a layer's cold rows, ascending, without reading the rows themselves. */
    abstract int[] positions(int layer);

    /** Keeps encoded rows of a layer, wherever this tier keeps them. */
    abstract void write(int layer, ColdRows rows);

    /** A layer's cold rows, sorted by position. */
    abstract ColdRows rows(int layer);

    /** Removes and returns a layer's cold rows in the chunks {@code chunkIds} (ascending; chunk id = position / chunk), sorted by position. */
    abstract ColdRows takeChunks(int layer, int[] chunkIds, int chunk);

    /** Number of a layer's cold rows. */
    abstract int rowCount(int layer);

    /** Forgets every cold row (the sketch is the caller's). */
    abstract void forget();

    /** Bytes of cold rows held in memory (for {@code disk}: only their positions). */
    abstract long rowRamBytes();

    /** Bytes of cold rows held on disk. */
    abstract long diskBytes();

    /** Frees the rows; a disk tier deletes its file. */
    @Override
    public abstract void close();
}
