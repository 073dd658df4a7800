package io.github.chunkkv.simd;

/**
 * Argument checks of the matrix products ({@link Kernels#matmulTransposed}, {@link Kernels#gemvQ4}), shared by both
 * implementations so they reject the same inputs. A decode step calls them for every weight matrix, so a message is
 * only built for an argument that fails (building them eagerly allocates on every call).
 */
final class MatmulArguments {
    private MatmulArguments() {}

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless rows, n and k are
     * >= 0, the offsets are >= 0, outStride >= n, and the arrays hold what the product reads and writes.
     */
    static void check(float[] a, int aOff, int rows, float[] b, int bOff, int n, int k, float[] out, int outOff, int outStride) {
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        if (k < 0) throw new IllegalArgumentException("k must be >= 0, got " + k);
        if (aOff < 0 || bOff < 0 || outOff < 0) {
            throw new IllegalArgumentException("offsets must be >= 0, got aOff " + aOff + ", bOff " + bOff + ", outOff " + outOff);
        }
        if (outStride < n) throw new IllegalArgumentException("outStride must be >= n = " + n + ", got " + outStride);
        if (rows == 0 || n == 0) return;
        long aEnd = aOff + (long) rows * k, bEnd = bOff + (long) n * k, outEnd = outOff + (long) (rows - 1) * outStride + n;
        if (a.length < aEnd) {
            throw new IllegalArgumentException("a must hold aOff + rows * k = " + aEnd + " values, got " + a.length);
        }
        if (b.length < bEnd) {
            throw new IllegalArgumentException("b must hold bOff + n * k = " + bEnd + " values, got " + b.length);
        }
        if (out.length < outEnd) {
            throw new IllegalArgumentException("out must hold outOff + (rows - 1) * outStride + n = " + outEnd + " values, got " + out.length);
        }
    }

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless rows >= 0, k is a
     * non-negative multiple of {@link Kernels#Q4_BLOCK}, the offsets are >= 0, and the arrays hold what the product
     * reads and writes.
     */
    static void checkGemvQ4(byte[] packed, int packedOff, float[] scales, int scaleOff, int rows, int k, float[] x, int xOff,
            float[] out, int outOff) {
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        if (k < 0 || k % Kernels.Q4_BLOCK != 0) {
            throw new IllegalArgumentException("k must be a non-negative multiple of " + Kernels.Q4_BLOCK + ", got " + k);
        }
        if (packedOff < 0 || scaleOff < 0 || xOff < 0 || outOff < 0) {
            throw new IllegalArgumentException("offsets must be >= 0, got packedOff " + packedOff + ", scaleOff " + scaleOff + ", xOff " + xOff
                    + ", outOff " + outOff);
        }
        long packedEnd = packedOff + (long) rows * (k / 2), scalesEnd = scaleOff + (long) rows * (k / Kernels.Q4_BLOCK);
        if (packed.length < packedEnd) {
            throw new IllegalArgumentException("packed must hold packedOff + rows * k / 2 = " + packedEnd + " bytes, got " + packed.length);
        }
        if (scales.length < scalesEnd) {
            throw new IllegalArgumentException("scales must hold scaleOff + rows * k / " + Kernels.Q4_BLOCK + " = " + scalesEnd + " values, got " + scales.length);
        }
        if (x.length < xOff + (long) k) {
            throw new IllegalArgumentException("x must hold xOff + k = " + (xOff + (long) k) + " values, got " + x.length);
        }
        if (out.length < outOff + (long) rows) {
            throw new IllegalArgumentException("out must hold outOff + rows = " + (outOff + (long) rows) + " values, got " + out.length);
        }
    }
}
