package io.github.chunkkv.simd;

/** Argument checks of {@link Kernels#attendCausal}, shared by both implementations so they reject the same inputs. */
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
        require(rowFrom >= 0 && rowFrom <= rowTo, "rowFrom must be in [0, rowTo = " + rowTo + "], got " + rowFrom);
        require(firstSlot >= 0, "firstSlot must be >= 0, got " + firstSlot);
        require(numKvHeads >= 1 && numHeads >= numKvHeads && numHeads % numKvHeads == 0,
                "numHeads must be a positive multiple of numKvHeads, got " + numHeads + " and " + numKvHeads);
        require(kvHead >= 0 && kvHead < numKvHeads, "kvHead must be in [0, " + (numKvHeads - 1) + "], got " + kvHead);
        require(headSize >= 1, "headSize must be >= 1, got " + headSize);
        require(rowStride >= numKvHeads * headSize, "rowStride must be >= numKvHeads * headSize = " + numKvHeads * headSize
                + ", got " + rowStride);
        if (rowFrom == rowTo) return;
        require(windowStart.length >= rowTo, "windowStart must hold rowTo = " + rowTo + " entries, got " + windowStart.length);
        for (int r = rowFrom; r < rowTo; r++) {
            require(windowStart[r] >= 0 && windowStart[r] <= firstSlot + r,
                    "windowStart[" + r + "] must be in [0, " + (firstSlot + r) + "], got " + windowStart[r]);
        }
        long queryValues = (long) rowTo * numHeads * headSize, cacheValues = (long) (firstSlot + rowTo) * rowStride;
        require(queries.length >= queryValues, "queries must hold " + queryValues + " values, got " + queries.length);
        require(out.length >= queryValues, "out must hold " + queryValues + " values, got " + out.length);
        require(keys.length >= cacheValues, "keys must hold " + cacheValues + " values (firstSlot + rowTo rows), got " + keys.length);
        require(values.length >= cacheValues, "values must hold " + cacheValues + " values (firstSlot + rowTo rows), got " + values.length);
    }

    private static void require(boolean condition, String message) {
        if (!condition) throw new IllegalArgumentException(message);
    }
}
