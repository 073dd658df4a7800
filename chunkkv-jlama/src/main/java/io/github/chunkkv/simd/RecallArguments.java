package io.github.chunkkv.simd;

/**
 * Argument checks of decode-time recall's kernels ({@link Kernels#dotQ8Panels}, {@link Kernels#dotQ8Rows},
 * {@link Kernels#maxMultiplyAdd}), shared by both implementations so they reject the same inputs. They run on every
 * decode step and layer, so a message is only built for an argument that fails (building them eagerly allocated, and the JIT then declined to
 * inline the vector code behind them).
 */
final class RecallArguments {
    private RecallArguments() {}

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless the counts and offsets
     * are >= 0 and the arrays hold what the products read (whole panels) and write.
     */
    static void checkPanels(float[] query, int qOff, int queries, int len, byte[] codes, int codeOff, int n, float[] out, int outOff) {
        if (queries < 0 || len < 0 || n < 0) {
            throw new IllegalArgumentException("queries, len and n must be >= 0, got " + queries + ", " + len + ", " + n);
        }
        if (qOff < 0 || codeOff < 0 || outOff < 0) {
            throw new IllegalArgumentException("offsets must be >= 0, got qOff " + qOff + ", codeOff " + codeOff + ", outOff " + outOff);
        }
        long queryEnd = qOff + (long) queries * len, codeEnd = codeOff + (long) Math.ceilDiv(n, Kernels.Q8_PANEL) * Kernels.Q8_PANEL * len;
        if (query.length < queryEnd) {
            throw new IllegalArgumentException("query must hold qOff + queries * len = " + queryEnd + " values, got " + query.length);
        }
        if (codes.length < codeEnd) {
            throw new IllegalArgumentException("codes must hold codeOff + whole panels of len codes for n vectors = " + codeEnd
                    + " codes, got " + codes.length);
        }
        if (out.length < outOff + (long) queries * n) {
            throw new IllegalArgumentException("out must hold outOff + queries * n = " + (outOff + (long) queries * n) + " values, got "
                    + out.length);
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

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless len and the offsets are
     * >= 0 and both arrays hold len values from their offsets.
     */
    static void checkMaxMultiplyAdd(float[] x, int xOff, float[] y, int yOff, int len) {
        if (len < 0 || xOff < 0 || yOff < 0) {
            throw new IllegalArgumentException("len and offsets must be >= 0, got len " + len + ", xOff " + xOff + ", yOff " + yOff);
        }
        if (x.length < xOff + (long) len) {
            throw new IllegalArgumentException("x must hold xOff + len = " + (xOff + (long) len) + " values, got " + x.length);
        }
        if (y.length < yOff + (long) len) {
            throw new IllegalArgumentException("y must hold yOff + len = " + (yOff + (long) len) + " values, got " + y.length);
        }
    }
}
