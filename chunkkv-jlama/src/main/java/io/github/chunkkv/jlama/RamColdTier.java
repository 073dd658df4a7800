package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/** Cold rows on the heap: one list of demoted blocks per layer. */
final class RamColdTier extends ColdTier {
    private final List<List<ColdRows>> layers = new ArrayList<>();

    RamColdTier(Kernels kernels, int layerCount, int rowStride, int headSize, int summaryChunk) {
        super(kernels, layerCount, rowStride, headSize, summaryChunk);
        for (int l = 0; l < layerCount; l++) layers.add(new ArrayList<>());
    }

    @Override
    void write(int layer, ColdRows rows) {
        layers.get(layer).add(rows);
    }

    @Override
    ColdRows rows(int layer) {
        List<ColdRows> blocks = layers.get(layer);
        if (blocks.size() > 1) { // keep one sorted block so later reads are copies-free
            ColdRows merged = ColdRows.sortedConcat(blocks);
            blocks.clear();
            blocks.add(merged);
        }
        return blocks.isEmpty() ? ColdRows.EMPTY : blocks.get(0);
    }

    /** In place: the layer's rows are one block sorted by position, where each chunk's rows are one run. */
    @Override
    void locateKeys(int layer, int[] chunkIds, int count, int chunk, ChunkKeys keys) {
        ColdRows all = rows(layer);
        keys.rows(all.codes(), 2 * rowStride, all.scales(), 2 * kvHeads);
        for (int i = 0; i < count; i++) keys.chunk(i, all.firstAtOrAfter(chunkIds[i] * chunk), all.firstAtOrAfter((chunkIds[i] + 1) * chunk));
    }

    @Override
    ColdRows take(int layer, IntPredicate selected) {
        ColdRows all = rows(layer);
        List<ColdRows> blocks = layers.get(layer);
        blocks.clear();
        ColdRows rest = all.where(selected.negate());
        if (rest.rows() > 0) blocks.add(rest);
        return all.where(selected);
    }

    @Override
    int[] positions(int layer) {
        return rows(layer).positions().clone();
    }

    @Override
    int rowCount(int layer) {
        int rows = 0;
        for (ColdRows block : layers.get(layer)) rows += block.rows(); // every decode step asks: no stream
        return rows;
    }

    @Override
    void forget() {
        layers.forEach(List::clear);
    }

    @Override
    long rowRamBytes() {
        return layers.stream().flatMap(List::stream).mapToLong(ColdRows::bytes).sum();
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
