package io.github.chunkkv.simd;

/**
 * Argument checks of the matrix products ({@link Kernels#matmulTransposed}, {@link Kernels#gemvQ4}), shared by both
 * implementations so they reject the same inputs.
 */
final class MatmulArguments {
    private MatmulArguments() {}

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless rows, n and k are
     * >= 0, the offsets are >= 0, outStride >= n, and the arrays hold what the product reads and writes.
     */
    static void check(float[] a, int aOff, int rows, float[] b, int bOff, int n, int k, float[] out, int outOff, int outStride) {
        require(rows >= 0, "rows must be >= 0, got " + rows);
        require(n >= 0, "n must be >= 0, got " + n);
        require(k >= 0, "k must be >= 0, got " + k);
        require(aOff >= 0 && bOff >= 0 && outOff >= 0, "offsets must be >= 0, got aOff " + aOff + ", bOff " + bOff + ", outOff " + outOff);
        require(outStride >= n, "outStride must be >= n = " + n + ", got " + outStride);
        if (rows == 0 || n == 0) return;
        long aEnd = aOff + (long) rows * k, bEnd = bOff + (long) n * k, outEnd = outOff + (long) (rows - 1) * outStride + n;
        require(a.length >= aEnd, "a must hold aOff + rows * k = " + aEnd + " values, got " + a.length);
        require(b.length >= bEnd, "b must hold bOff + n * k = " + bEnd + " values, got " + b.length);
        require(out.length >= outEnd, "out must hold outOff + (rows - 1) * outStride + n = " + outEnd + " values, got " + out.length);
    }

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless rows >= 0, k is a
     * non-negative multiple of {@link Kernels#Q4_BLOCK}, the offsets are >= 0, and the arrays hold what the product
     * reads and writes.
     */
    static void checkGemvQ4(byte[] packed, int packedOff, float[] scales, int scaleOff, int rows, int k, float[] x, int xOff,
            float[] out, int outOff) {
        require(rows >= 0, "rows must be >= 0, got " + rows);
        require(k >= 0 && k % Kernels.Q4_BLOCK == 0, "k must be a non-negative multiple of " + Kernels.Q4_BLOCK + ", got " + k);
        require(packedOff >= 0 && scaleOff >= 0 && xOff >= 0 && outOff >= 0, "offsets must be >= 0, got packedOff " + packedOff
                + ", scaleOff " + scaleOff + ", xOff " + xOff + ", outOff " + outOff);
        long packedEnd = packedOff + (long) rows * (k / 2), scalesEnd = scaleOff + (long) rows * (k / Kernels.Q4_BLOCK);
        require(packed.length >= packedEnd, "packed must hold packedOff + rows * k / 2 = " + packedEnd + " bytes, got " + packed.length);
        require(scales.length >= scalesEnd,
                "scales must hold scaleOff + rows * k / " + Kernels.Q4_BLOCK + " = " + scalesEnd + " values, got " + scales.length);
        require(x.length >= xOff + (long) k, "x must hold xOff + k = " + (xOff + (long) k) + " values, got " + x.length);
        require(out.length >= outOff + (long) rows, "out must hold outOff + rows = " + (outOff + (long) rows) + " values, got " + out.length);
    }

    private static void require(boolean condition, String message) {
        if (!condition) throw new IllegalArgumentException(message);
    }
}
