package io.github.chunkkv.simd;

/** SIMD kernels (Panama Vector API). Placeholder delegating to the scalar twins until the SIMD versions land. */
public final class VectorKernels implements Kernels {
    public static final VectorKernels INSTANCE = new VectorKernels();
    private static final Kernels S = ScalarKernels.INSTANCE;

    private VectorKernels() {}

    @Override public float dot(float[] a, int aOff, float[] b, int bOff, int len) { return S.dot(a, aOff, b, bOff, len); }
    @Override public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) { S.axpy(alpha, x, xOff, y, yOff, len); }
    @Override public void softmax(float[] x, int off, int len) { S.softmax(x, off, len); }
    @Override public void attend(float[] q, int qOff, float[] k, float[] v, int rs, int kvOff, int len, int hs, float sc, float[] p, float[] o, int oo) { S.attend(q, qOff, k, v, rs, kvOff, len, hs, sc, p, o, oo); }
    @Override public void windowColumnSums(float[] q, int rows, int first, float[] k, int rs, int n, int nh, int nkv, int hs, float sc, float[] out) { S.windowColumnSums(q, rows, first, k, rs, n, nh, nkv, hs, sc, out); }
    @Override public void avgPool(float[] in, int inOff, int len, int kernel, float[] out, int outOff) { S.avgPool(in, inOff, len, kernel, out, outOff); }
    @Override public int chunkMeans(float[] in, int len, int chunk, float[] out) { return S.chunkMeans(in, len, chunk, out); }
    @Override public int[] topK(float[] values, int len, int k) { return S.topK(values, len, k); }
    @Override public void gatherRows(float[] src, int rs, int[] rows, int count, float[] dst) { S.gatherRows(src, rs, rows, count, dst); }
}
