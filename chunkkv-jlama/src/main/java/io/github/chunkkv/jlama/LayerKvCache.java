package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;

/**
 * The compact K/V cache of one layer: only kept rows, each holding every KV head (Jlama's row layout), plus the
 * logical position of every row. Rows keep the RoPE rotation of their original position, so a row's slot (where it
 * lives) and its position (what RoPE saw) differ once anything has been evicted.
 */
final class LayerKvCache {
    private final int rowStride;
    private float[] keys;
    private float[] values;
    private int[] positions;
    private int size;

    LayerKvCache(int rowStride, int initialRows) {
        this.rowStride = rowStride;
        this.keys = new float[initialRows * rowStride];
        this.values = new float[initialRows * rowStride];
        this.positions = new int[initialRows];
    }

    int size() {
        return size;
    }

    int rowStride() {
        return rowStride;
    }

    float[] keys() {
        return keys;
    }

    float[] values() {
        return values;
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

    /** Bytes the kept K and V rows occupy (float32). */
    long bytes() {
        return 2L * size * rowStride * Float.BYTES;
    }

    /** Appends {@code rows} K/V rows taken from row-major buffers; row r gets logical position firstPosition + r. */
    void append(float[] k, float[] v, int rows, int firstPosition) {
        ensureCapacity(size + rows);
        System.arraycopy(k, 0, keys, size * rowStride, rows * rowStride);
        System.arraycopy(v, 0, values, size * rowStride, rows * rowStride);
        for (int r = 0; r < rows; r++) positions[size + r] = firstPosition + r;
        size += rows;
    }

    /**
     * Inserts rows (positions ascending, none already cached) among the cached rows so that rows stay in position
     * order: recalled rows return to where they were.
     */
    void merge(float[] k, float[] v, int[] rowPositions) {
        int added = rowPositions.length;
        if (added == 0) return;
        int total = size + added;
        float[] mk = new float[Math.max(total, positions.length) * rowStride], mv = new float[mk.length];
        int[] mp = new int[Math.max(total, positions.length)];
        for (int out = 0, a = 0, b = 0; out < total; out++) {
            boolean fromCache = b == added || (a < size && positions[a] < rowPositions[b]);
            float[] srcK = fromCache ? keys : k, srcV = fromCache ? values : v;
            int row = fromCache ? a++ : b++;
            System.arraycopy(srcK, row * rowStride, mk, out * rowStride, rowStride);
            System.arraycopy(srcV, row * rowStride, mv, out * rowStride, rowStride);
            mp[out] = fromCache ? positions[row] : rowPositions[row];
        }
        keys = mk;
        values = mv;
        positions = mp;
        size = total;
    }

    /** Keeps only the given slots (strictly ascending), in order, and releases the memory of the rest. */
    void retain(int[] slots, Kernels kernels) {
        int count = slots.length;
        if (count == size) return; // ascending and unique within [0, size): nothing evicted
        kernels.gatherRows(keys, rowStride, slots, count, keys);
        kernels.gatherRows(values, rowStride, slots, count, values);
        for (int i = 0; i < count; i++) positions[i] = positions[slots[i]];
        size = count;
        keys = Arrays.copyOf(keys, count * rowStride);
        values = Arrays.copyOf(values, count * rowStride);
        positions = Arrays.copyOf(positions, count);
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
        if (rows <= positions.length) return;
        int grown = Math.max(rows, positions.length + (positions.length >> 1) + 16);
        keys = Arrays.copyOf(keys, grown * rowStride);
        values = Arrays.copyOf(values, grown * rowStride);
        positions = Arrays.copyOf(positions, grown);
    }
}
