package io.github.chunkkv.jlama;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Cache rows in the cold tier's Q8 encoding, row-interleaved: row r's key codes fill
 * {@code codes[r * 2 * rowStride, + rowStride)} and its value codes the next {@code rowStride} bytes; its scales are
 * {@code scales[r * 2 * kvHeads, + 2 * kvHeads)}, one per KV head, keys first. Interleaving by row lets rows be
 * concatenated, sorted and merged as units.
 *
 * @param positions the logical position of every row
 */
record ColdRows(int[] positions, byte[] codes, float[] scales) {
    static final ColdRows EMPTY = new ColdRows(new int[0], new byte[0], new float[0]);

    int rows() {
        return positions.length;
    }

    /** Bytes this block occupies: codes, scales and positions. */
    long bytes() {
        return codes.length + 4L * scales.length + 4L * positions.length;
    }

    /** The rows whose position passes {@code test}, in their order. */
    ColdRows where(IntPredicate test) {
        int n = rows();
        if (n == 0) return EMPTY;
        int codesPerRow = codes.length / n, scalesPerRow = scales.length / n;
        int[] picked = new int[n];
        int count = 0;
        for (int r = 0; r < n; r++) if (test.test(positions[r])) picked[count++] = r;
        if (count == n) return this;
        int[] p = new int[count];
        byte[] c = new byte[count * codesPerRow];
        float[] s = new float[count * scalesPerRow];
        for (int i = 0; i < count; i++) {
            int r = picked[i];
            p[i] = positions[r];
            System.arraycopy(codes, r * codesPerRow, c, i * codesPerRow, codesPerRow);
            System.arraycopy(scales, r * scalesPerRow, s, i * scalesPerRow, scalesPerRow);
        }
        return new ColdRows(p, c, s);
    }

    /** Index of the first of the ascending {@code positions} at or after {@code position}. */
    static int firstAtOrAfter(int[] positions, int position) {
        int i = Arrays.binarySearch(positions, position);
        return i >= 0 ? i : -i - 1;
    }

    /** All rows of the blocks, sorted by position (blocks demoted at different times interleave). */
    static ColdRows sortedConcat(List<ColdRows> blocks) {
        if (blocks.isEmpty()) return EMPTY;
        int rows = blocks.stream().mapToInt(ColdRows::rows).sum();
        int codesPerRow = blocks.get(0).codes.length / Math.max(1, blocks.get(0).rows());
        int scalesPerRow = blocks.get(0).scales.length / Math.max(1, blocks.get(0).rows());
        long[] order = new long[rows]; // position << 32 | row index: one sort orders rows by position
        int[] blockOf = new int[rows], rowOf = new int[rows];
        int i = 0;
        for (int b = 0; b < blocks.size(); b++) {
            for (int r = 0; r < blocks.get(b).rows(); r++, i++) {
                order[i] = (long) blocks.get(b).positions[r] << 32 | i;
                blockOf[i] = b;
                rowOf[i] = r;
            }
        }
        Arrays.sort(order);
        int[] positions = new int[rows];
        byte[] codes = new byte[rows * codesPerRow];
        float[] scales = new float[rows * scalesPerRow];
        for (int out = 0; out < rows; out++) {
            int src = (int) order[out];
            ColdRows block = blocks.get(blockOf[src]);
            int r = rowOf[src];
            positions[out] = block.positions[r];
            System.arraycopy(block.codes, r * codesPerRow, codes, out * codesPerRow, codesPerRow);
            System.arraycopy(block.scales, r * scalesPerRow, scales, out * scalesPerRow, scalesPerRow);
        }
        return new ColdRows(positions, codes, scales);
    }
}
