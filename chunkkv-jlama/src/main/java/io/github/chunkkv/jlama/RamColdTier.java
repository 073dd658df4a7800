package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/** Cold rows on the heap: one list of demoted blocks per layer. */
final class RamColdTier extends ColdTier {
    private static final int CACHE_LINE = 64;
    private final List<List<ColdRows>> layers = new ArrayList<>();
    /**
     * Per layer, the first row of each chunk in its sorted block ({@code chunkStarts[l][c]} for chunk c, one entry past
     * the last chunk), so decode steps find chunks without searching; null until {@link #locateKeys} needs it after a
     * change.
     */
    private final int[][] chunkStarts;
    /**
     * Per layer, the chunks decode-time recall took out of the sorted block but that are still in its arrays, and
     * their rows: taking copies only the chunks' own rows, and the block drops them once they are a quarter of it
     * (rebuilding it at every promotion copied the whole layer's cold rows, a chunk per layer and step where attention
     * is spread, as with random weights).
     */
    private final BitSet[] takenChunks;
    private final int[] takenRows;
    /** Where {@link #touch} leaves its reads, so that the compiler keeps them. */
    private int touchSink;

    RamColdTier(Kernels kernels, int layerCount, int rowStride, int headSize, int sketchChunk) {
        super(kernels, layerCount, rowStride, headSize, sketchChunk, headSize / 2); // a sketch at most half the size of the keys
        for (int l = 0; l < layerCount; l++) layers.add(new ArrayList<>());
        chunkStarts = new int[layerCount][];
        takenChunks = new BitSet[layerCount];
        for (int l = 0; l < layerCount; l++) takenChunks[l] = new BitSet();
        takenRows = new int[layerCount];
    }

    @Override
    void write(int layer, ColdRows rows) {
        layers.get(layer).add(rows);
        chunkStarts[layer] = null;
    }

    @Override
    ColdRows rows(int layer) {
        dropTaken(layer);
        return block(layer);
    }

    /** The layer's rows as one block sorted by position, so later reads are copy-free; taken chunks may remain in it. */
    private ColdRows block(int layer) {
        List<ColdRows> blocks = layers.get(layer);
        if (blocks.size() > 1) {
            dropTaken(layer);
            ColdRows merged = ColdRows.sortedConcat(blocks);
            blocks.clear();
            blocks.add(merged);
        }
        return blocks.isEmpty() ? ColdRows.EMPTY : blocks.get(0);
    }

    /** Rebuilds the sorted block without the chunks taken out of it. */
    private void dropTaken(int layer) {
        if (takenRows[layer] == 0) return;
        List<ColdRows> blocks = layers.get(layer);
        BitSet taken = takenChunks[layer];
        int chunk = sketch().chunkSize();
        ColdRows rest = blocks.get(0).where(p -> !taken.get(p / chunk));
        if (rest.rows() > 0) blocks.set(0, rest);
        else blocks.remove(0);
        taken.clear();
        takenRows[layer] = 0;
        chunkStarts[layer] = null;
    }

    /** In place: the layer's rows are one block sorted by position, where each chunk's rows are one run. */
    @Override
    void locateKeys(int layer, int[] chunkIds, int count, int chunk, ChunkKeys keys) {
        ColdRows all = block(layer);
        int[] starts = starts(layer, all, chunk);
        keys.rows(all.codes(), 2 * rowStride, all.scales(), 2 * kvHeads);
        for (int i = 0; i < count; i++) {
            int id = Math.min(chunkIds[i], starts.length - 1);
            if (takenChunks[layer].get(chunkIds[i])) keys.chunk(i, 0, 0); // still in the block, no longer cold
            else keys.chunk(i, starts[id], starts[Math.min(id + 1, starts.length - 1)]);
        }
        for (int i = 0; i < count; i++) touchSink += touch(all.codes(), keys.from(i), keys.to(i));
    }

    /**
     * Reads one code per cache line of rows [from, to)'s keys, so that their misses overlap: a decode step scores a few
     * hundred rows scattered through the tier, out of cache by then (the step streamed the weights and the hot cache),
     * and the scoring kernel alone keeps only a row or two of misses in flight (measured on needle-lm, 32 chunks of 10
     * rows: scoring took 4 µs on cached keys, 20 µs on these, 17 µs after this pass). Java has no prefetch instruction.
     */
    private int touch(byte[] codes, int from, int to) {
        int sum = 0;
        for (int r = from; r < to; r++) {
            int at = r * 2 * rowStride;
            for (int b = 0; b < rowStride; b += CACHE_LINE) sum += codes[at + b];
            sum += codes[at + rowStride - 1];
        }
        return sum;
    }

    /** The first row of each chunk among ascending {@code positions}, and one entry past the last chunk: their count. */
    private static int[] chunkStarts(int[] positions, int chunk) {
        int n = positions.length, chunks = n == 0 ? 0 : positions[n - 1] / chunk + 1;
        int[] starts = new int[chunks + 1];
        for (int c = 0, r = 0; c <= chunks; c++) {
            while (r < n && positions[r] < c * chunk) r++;
            starts[c] = r;
        }
        return starts;
    }

    /** Copies the chunks' rows out of the sorted block, a run each, and marks the chunks taken. */
    @Override
    ColdRows takeChunks(int layer, int[] chunkIds, int chunk) {
        ColdRows all = block(layer);
        int[] starts = starts(layer, all, chunk);
        BitSet taken = takenChunks[layer];
        int n = 0;
        for (int id : chunkIds) n += id + 1 < starts.length && !taken.get(id) ? starts[id + 1] - starts[id] : 0;
        int codesPerRow = 2 * rowStride, scalesPerRow = 2 * kvHeads;
        int[] positions = new int[n];
        byte[] codes = new byte[n * codesPerRow];
        float[] scales = new float[n * scalesPerRow];
        int r = 0;
        for (int id : chunkIds) {
            if (id + 1 >= starts.length || taken.get(id)) continue;
            int from = starts[id], rows = starts[id + 1] - from;
            System.arraycopy(all.positions(), from, positions, r, rows);
            System.arraycopy(all.codes(), from * codesPerRow, codes, r * codesPerRow, rows * codesPerRow);
            System.arraycopy(all.scales(), from * scalesPerRow, scales, r * scalesPerRow, rows * scalesPerRow);
            taken.set(id);
            r += rows;
        }
        takenRows[layer] += n;
        if (4L * takenRows[layer] > all.rows()) dropTaken(layer);
        return new ColdRows(positions, codes, scales);
    }

    private int[] starts(int layer, ColdRows all, int chunk) {
        int[] starts = chunkStarts[layer];
        if (starts == null) chunkStarts[layer] = starts = chunkStarts(all.positions(), chunk);
        return starts;
    }

    @Override
    int[] positions(int layer) {
        return rows(layer).positions().clone();
    }

    @Override
    int rowCount(int layer) {
        int rows = -takenRows[layer];
        for (ColdRows block : layers.get(layer)) rows += block.rows(); // every decode step asks: no stream
        return rows;
    }

    @Override
    void forget() {
        layers.forEach(List::clear);
        Arrays.fill(chunkStarts, null);
        for (BitSet taken : takenChunks) taken.clear();
        Arrays.fill(takenRows, 0);
    }

    @Override
    long rowRamBytes() {
        long starts = 0;
        for (int[] layer : chunkStarts) starts += layer == null ? 0 : 4L * layer.length;
        return layers.stream().flatMap(List::stream).mapToLong(ColdRows::bytes).sum() + starts;
    }

    @Override
    long diskBytes() {
        return 0;
    }

    @Override
    public void close() {
        forget();
    }
}
