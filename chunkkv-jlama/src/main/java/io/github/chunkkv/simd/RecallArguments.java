package io.github.chunkkv.simd;

/**
 * Argument checks of decode-time recall's batched kernels ({@link Kernels#chunkUpperBounds}, {@link Kernels#dotQ8Rows}),
 * shared by both implementations so they reject the same inputs. They run on every decode step and layer, so a
 * message is only built for an argument that fails (building them eagerly allocated, and the JIT then declined to
 * inline the vector code behind them).
 */
final class RecallArguments {
    private RecallArguments() {}

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless the counts and offsets
     * are >= 0, kvHead is in [0, kvHeads), and the arrays hold what the bounds read and write.
     */
    static void checkBounds(float[] positive, float[] negative, int qOff, int queries, byte[] lows, byte[] highs, float[] scales,
            int kvHeads, int kvHead, int headSize, int chunks, float[] out, int outOff) {
        if (queries < 0 || chunks < 0 || headSize < 0) {
            throw new IllegalArgumentException("queries, chunks and headSize must be >= 0, got " + queries + ", " + chunks + ", " + headSize);
        }
        if (kvHead < 0 || kvHead >= kvHeads) throw new IllegalArgumentException("kvHead must be in [0, " + kvHeads + "), got " + kvHead);
        if (qOff < 0 || outOff < 0) throw new IllegalArgumentException("offsets must be >= 0, got qOff " + qOff + ", outOff " + outOff);
        long queryEnd = qOff + (long) queries * headSize, codeEnd = (long) chunks * kvHeads * headSize;
        if (positive.length < queryEnd || negative.length < queryEnd) {
            throw new IllegalArgumentException("positive and negative must hold qOff + queries * headSize = " + queryEnd
                    + " values, got " + positive.length + " and " + negative.length);
        }
        if (lows.length < codeEnd || highs.length < codeEnd) {
            throw new IllegalArgumentException("lows and highs must hold chunks * kvHeads * headSize = " + codeEnd + " codes, got "
                    + lows.length + " and " + highs.length);
        }
        if (scales.length < (long) chunks * kvHeads) {
            throw new IllegalArgumentException("scales must hold chunks * kvHeads = " + (long) chunks * kvHeads + " values, got "
                    + scales.length);
        }
        if (out.length < outOff + (long) queries * chunks) {
            throw new IllegalArgumentException("out must hold outOff + queries * chunks = " + (outOff + (long) queries * chunks)
                    + " values, got " + out.length);
        }
    }

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless the counts and offsets
     * are >= 0, codeStride >= len when there is more than one row, and the arrays hold what the products read and write.
     */
    static void checkDots(float[] query, int qOff, int queries, byte[] codes, int codeOff, int codeStride, int rows, int len,
            float[] out, int outOff) {
        if (queries < 0 || rows < 0 || len < 0) {
            throw new IllegalArgumentException("queries, rows and len must be >= 0, got " + queries + ", " + rows + ", " + len);
        }
        if (qOff < 0 || codeOff < 0 || outOff < 0) {
            throw new IllegalArgumentException("offsets must be >= 0, got qOff " + qOff + ", codeOff " + codeOff + ", outOff " + outOff);
        }
        if (rows > 1 && codeStride < len) throw new IllegalArgumentException("codeStride must be >= len = " + len + ", got " + codeStride);
        long queryEnd = qOff + (long) queries * len, codeEnd = rows == 0 ? 0 : codeOff + (long) (rows - 1) * codeStride + len;
        if (query.length < queryEnd) {
            throw new IllegalArgumentException("query must hold qOff + queries * len = " + queryEnd + " values, got " + query.length);
        }
        if (codes.length < codeEnd) {
            throw new IllegalArgumentException("codes must hold codeOff + (rows - 1) * codeStride + len = " + codeEnd + " codes, got "
                    + codes.length);
        }
        if (out.length < outOff + (long) queries * rows) {
            throw new IllegalArgumentException("out must hold outOff + queries * rows = " + (outOff + (long) queries * rows)
                    + " values, got " + out.length);
        }
    }
}
