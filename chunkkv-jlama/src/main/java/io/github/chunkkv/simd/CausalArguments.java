package io.github.chunkkv.simd;

/**
 * Argument checks of {@link Kernels#attendCausal}, shared by both implementations so they reject the same inputs. They
 * run for every task of every prefill batch, so a message is only built for an argument that fails.
 */
final class CausalArguments {
    private CausalArguments() {}

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless: 0 <= rowFrom <= rowTo,
     * firstSlot >= 0, numKvHeads >= 1 divides numHeads, 0 <= kvHead < numKvHeads, headSize >= 1,
     * rowStride >= numKvHeads * headSize, every windowStart[r] of the range lies in [0, firstSlot + r], and the arrays
     * hold the rows the range reads and writes.
     */
    static void check(float[] queries, int rowFrom, int rowTo, int firstSlot, int[] windowStart, float[] keys, float[] values,
            int rowStride, int kvHead, int numHeads, int numKvHeads, int headSize, float[] out) {
        if (rowFrom < 0 || rowFrom > rowTo) {
            throw new IllegalArgumentException("rowFrom must be in [0, rowTo = " + rowTo + "], got " + rowFrom);
        }
        if (firstSlot < 0) throw new IllegalArgumentException("firstSlot must be >= 0, got " + firstSlot);
        if (numKvHeads < 1 || numHeads < numKvHeads || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numHeads must be a positive multiple of numKvHeads, got " + numHeads + " and " + numKvHeads);
        }
        if (kvHead < 0 || kvHead >= numKvHeads) {
            throw new IllegalArgumentException("kvHead must be in [0, " + (numKvHeads - 1) + "], got " + kvHead);
        }
        if (headSize < 1) throw new IllegalArgumentException("headSize must be >= 1, got " + headSize);
        if (rowStride < numKvHeads * headSize) {
            throw new IllegalArgumentException("rowStride must be >= numKvHeads * headSize = " + numKvHeads * headSize + ", got " + rowStride);
        }
        if (rowFrom == rowTo) return;
        if (windowStart.length < rowTo) {
            throw new IllegalArgumentException("windowStart must hold rowTo = " + rowTo + " entries, got " + windowStart.length);
        }
        for (int r = rowFrom; r < rowTo; r++) {
            if (windowStart[r] < 0 || windowStart[r] > firstSlot + r) {
                throw new IllegalArgumentException("windowStart[" + r + "] must be in [0, " + (firstSlot + r) + "], got " + windowStart[r]);
            }
        }
        long queryValues = (long) rowTo * numHeads * headSize, cacheValues = (long) (firstSlot + rowTo) * rowStride;
        if (queries.length < queryValues) {
            throw new IllegalArgumentException("queries must hold " + queryValues + " values, got " + queries.length);
        }
        if (out.length < queryValues) {
            throw new IllegalArgumentException("out must hold " + queryValues + " values, got " + out.length);
        }
        if (keys.length < cacheValues) {
            throw new IllegalArgumentException("keys must hold " + cacheValues + " values (firstSlot + rowTo rows), got " + keys.length);
        }
        if (values.length < cacheValues) {
            throw new IllegalArgumentException("values must hold " + cacheValues + " values (firstSlot + rowTo rows), got " + values.length);
        }
    }
}
