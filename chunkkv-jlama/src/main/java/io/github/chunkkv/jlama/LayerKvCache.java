package io.github.chunkkv.jlama;

import io.github.chunkkv.config.KvPrecision;
import io.github.chunkkv.simd.AttentionPartials;
import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;

/**
 * The compact K/V cache of one layer: only kept rows, each holding every KV head (Jlama's row layout), plus the
 * logical position of every row. Rows keep the RoPE rotation of their original position, so a row's slot (where it
 * lives) and its position (what RoPE saw) differ once anything has been evicted. Rows are stored in the session's
 * {@link KvPrecision}.
 *
 * <p>Memory: a prefill reserves exactly the rows it appends and ends with the arrays trimmed to the cached rows (a
 * compression trims them to the kept rows); a decode step's append grows them by an eighth of their size plus 16 rows,
 * so between prefills {@link #allocatedBytes()} stays below 1.125 × {@link #bytes()} + 16 rows (a segmented
 * prefill {@link #reserve reserves} its target plus one segment instead). An eighth, not the
 * usual half: a step reads every cached row anyway, so copying the cache every size/8 steps costs at most 8 row copies
 * a step, while half would hold up to 50% of a long cache unused.
 */
final class LayerKvCache {
    private final int rowStride;
    private KvRows rows;
    private int[] positions;
    private int size;

    LayerKvCache(KvPrecision precision, int rowStride, int headSize, int initialRows) {
        this.rowStride = rowStride;
        this.rows = KvRows.create(precision, rowStride, headSize, initialRows);
        this.positions = new int[initialRows];
    }

    int size() {
        return size;
    }

    int rowStride() {
        return rowStride;
    }

    KvPrecision precision() {
        return rows.precision();
    }

    int headSize() {
        return rows.headSize;
    }

    /** The kept keys as float32, row-major: for F32 the live array (read only), otherwise a decoded copy. */
    float[] keys() {
        return rows.keys(size);
    }

    /** The kept values as float32; see {@link #keys()}. */
    float[] values() {
        return rows.values(size);
    }

    /**
     * Attention of one query head over slots [from, from + length) of KV head {@code kvHead}, reading rows in place;
     * returns the log of the softmax normaliser.
     */
    float attend(Kernels kernels, float[] q, int qOff, int kvHead, int from, int length, float scale,
            float[] probs, float[] out, int outOff) {
        return rows.attend(kernels, q, qOff, kvHead, from, length, scale, probs, out, outOff);
    }

    /**
     * Causal attention of a batch of query rows over F32 rows in place, with the tiled kernel; see
     * {@link Kernels#attendCausal}. Other precisions have no tiled kernel: use {@link #attend} per row.
     */
    void attendCausal(Kernels kernels, float[] q, int rowFrom, int rowTo, int firstSlot, int[] windowStart, int kvHead,
            int numHeads, float scale, float[] out) {
        f32("the tiled kernel").attendCausal(kernels, q, rowFrom, rowTo, firstSlot, windowStart, kvHead, numHeads, scale, out);
    }

    /**
     * One block of split-K decode attention of the query row at {@code q[qOff..]} over F32 slots [from, to) in place;
     * see {@link Kernels#attendBlock}. Other precisions have no split-K kernel: use {@link #attend} per head.
     */
    void attendBlock(Kernels kernels, float[] q, int qOff, int from, int to, float scale, AttentionPartials partials, int block) {
        f32("the split-K kernel").attendBlock(kernels, q, qOff, from, to, scale, partials, block);
    }

    private KvRows.F32 f32(String kernel) {
        if (!(rows instanceof KvRows.F32 f32)) throw new IllegalStateException(kernel + " reads F32 rows, this cache holds " + precision());
        return f32;
    }

    int position(int slot) {
        return positions[slot];
    }

    int[] positions() {
        return Arrays.copyOf(positions, size);
    }

    /** Number of rows whose logical position is below {@code position} (rows are position-ordered). */
    int rowsBefore(int position) {
        int lo = 0, hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (positions[mid] < position) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** Bytes the kept K and V rows occupy in this cache's precision (scales included). */
    long bytes() {
        return (long) size * rows.bytesPerRow();
    }

    /** Bytes one K+V row takes in this cache's precision. */
    long bytesPerRow() {
        return rows.bytesPerRow();
    }

    /** Bytes allocated for K and V rows, used or not. */
    long allocatedBytes() {
        return (long) rows.capacity() * rows.bytesPerRow();
    }

    /** Appends {@code rows} K/V rows taken from row-major buffers; row r gets logical position firstPosition + r. */
    void append(float[] k, float[] v, int rows, int firstPosition) {
        ensureCapacity(size + rows);
        this.rows.write(size, k, v, 0, rows);
        for (int r = 0; r < rows; r++) positions[size + r] = firstPosition + r;
        size += rows;
    }

    /**
     * Inserts rows (positions ascending, none already cached) among the cached rows so that rows stay in position
     * order: recalled rows return to where they were. In place, from the back: only rows after the first inserted
     * position move, each once, and nothing is allocated while there is room (decode-time recall inserts a chunk per
     * layer and step where attention is spread, as with random weights: rebuilding the arrays each time cost more
     * than the step's attention). The room left for appends stays.
     */
    void merge(float[] k, float[] v, int[] rowPositions) {
        int added = rowPositions.length;
        if (added == 0) return;
        int total = size + added;
        ensureCapacity(total);
        for (int out = total - 1, a = size - 1, b = added - 1; b >= 0; out--) {
            if (a >= 0 && positions[a] > rowPositions[b]) {
                rows.copyRow(rows, a, out);
                positions[out] = positions[a--];
            } else {
                rows.write(out, k, v, b, 1);
                positions[out] = rowPositions[b--];
            }
        }
        size = total;
    }

    /** Keeps only the given slots (strictly ascending), in order, and releases the memory of the rest. */
    void retain(int[] slots) {
        int count = slots.length;
        if (count == size) {
            trim(); // ascending and unique within [0, size): nothing evicted, but growth slack goes
            return;
        }
        rows.gather(slots, count);
        for (int i = 0; i < count; i++) positions[i] = positions[slots[i]];
        size = count;
        trim();
    }

    /**
     * Makes room for {@code rows} rows in total, allocating exactly that many when growing, so that appends up to it
     * allocate nothing more (a bounded-memory prefill reserves its target plus one segment).
     */
    void reserve(int rows) {
        if (rows <= positions.length) return;
        this.rows.resize(rows);
        positions = Arrays.copyOf(positions, rows);
    }

    /** Releases the capacity beyond the kept rows. */
    void trim() {
        if (rows.capacity() == size) return;
        rows.resize(size);
        positions = Arrays.copyOf(positions, size);
    }

    /** Slots holding the given positions (ascending) that this cache still has: reuse shares positions, not slots. */
    int[] slotsOf(int[] wanted) {
        int[] slots = new int[wanted.length];
        int count = 0;
        int s = 0, p = 0;
        while (s < size && p < wanted.length) {
            if (positions[s] == wanted[p]) {
                slots[count++] = s++;
                p++;
            } else if (positions[s] < wanted[p]) {
                s++;
            } else {
                p++;
            }
        }
        return Arrays.copyOf(slots, count);
    }

    /** Logical positions of the given slots. */
    int[] positionsOf(int[] slots) {
        int[] out = new int[slots.length];
        for (int i = 0; i < slots.length; i++) out[i] = positions[slots[i]];
        return out;
    }

    /** Drops every row whose logical position is at or after {@code position} (rows are position-ordered). */
    void truncateFrom(int position) {
        int n = size;
        while (n > 0 && positions[n - 1] >= position) n--;
        size = n;
    }

    private void ensureCapacity(int rows) {
        if (rows > positions.length) reserve(Math.max(rows, positions.length + (positions.length >> 3) + 16));
    }
}
