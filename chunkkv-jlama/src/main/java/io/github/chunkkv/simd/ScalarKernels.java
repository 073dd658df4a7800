package io.github.chunkkv.simd;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** Plain-Java twins of the SIMD kernels: the specification that {@link VectorKernels} is tested against. */
public final class ScalarKernels implements Kernels {
    /** The only instance: the kernels are stateless. */
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {}

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        float s = 0f;
        for (int i = 0; i < len; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        for (int i = 0; i < len; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public float softmax(float[] x, int off, int len) {
        if (len == 0) return Float.NEGATIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) max = Math.max(max, x[off + i]);
        float sum = 0f;
        for (int i = 0; i < len; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < len; i++) x[off + i] *= inv;
        return max + (float) Math.log(sum);
    }

    @Override
    public void windowColumnSums(float[] queries, int rows, int firstSlot, float[] keys, int rowStride, int n,
            int numHeads, int numKvHeads, int headSize, float scale, float[] out) {
        int group = numHeads / numKvHeads;
        float[] logits = new float[n];
        for (int h = 0; h < numHeads; h++) {
            int kvOff = (h / group) * headSize;
            for (int r = 0; r < rows; r++) {
                int visible = Math.min(n, firstSlot + r + 1);
                int qOff = r * numHeads * headSize + h * headSize;
                for (int j = 0; j < visible; j++) logits[j] = scale * dot(queries, qOff, keys, j * rowStride + kvOff, headSize);
                softmax(logits, 0, visible);
                for (int j = 0; j < visible; j++) out[h * n + j] += logits[j];
            }
        }
    }

    @Override
    public void avgPool(float[] in, int inOff, int len, int kernel, float[] out, int outOff) {
        int half = kernel / 2;
        for (int i = 0; i < len; i++) {
            float s = 0f;
            for (int j = Math.max(0, i - half); j <= Math.min(len - 1, i + half); j++) s += in[inOff + j];
            out[outOff + i] = s / kernel;
        }
    }

    @Override
    public int chunkMeans(float[] in, int len, int chunk, float[] out) {
        int chunks = Math.ceilDiv(len, chunk);
        for (int c = 0; c < chunks; c++) {
            int from = c * chunk, to = Math.min(len, from + chunk);
            float s = 0f;
            for (int i = from; i < to; i++) s += in[i];
            out[c] = s / (to - from);
        }
        return chunks;
    }

    @Override
    public int[] topK(float[] values, int len, int k) {
        if (k < 0 || k > len) throw new IllegalArgumentException("k must be in [0, " + len + "], got " + k);
        Integer[] order = IntStream.range(0, len).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -values[i]).thenComparingInt(i -> i));
        int[] kept = new int[k];
        for (int i = 0; i < k; i++) kept[i] = order[i];
        Arrays.sort(kept);
        return kept;
    }

    @Override
    public float dotBf16(float[] a, int aOff, short[] b, int bOff, int len) {
        float s = 0f;
        for (int i = 0; i < len; i++) s += a[aOff + i] * Bf16.decode(b[bOff + i]);
        return s;
    }

    @Override
    public void axpyBf16(float alpha, short[] x, int xOff, float[] y, int yOff, int len) {
        for (int i = 0; i < len; i++) y[yOff + i] += alpha * Bf16.decode(x[xOff + i]);
    }

    @Override
    public float dotQ8(float[] a, int aOff, byte[] codes, int bOff, int len) {
        float s = 0f;
        for (int i = 0; i < len; i++) s += a[aOff + i] * codes[bOff + i];
        return s;
    }

    @Override
    public void axpyQ8(float alpha, byte[] codes, int xOff, float[] y, int yOff, int len) {
        for (int i = 0; i < len; i++) y[yOff + i] += alpha * codes[xOff + i];
    }

    @Override
    public void quantizeQ8(float[] src, int srcOff, int groups, int groupSize, byte[] codes, int codeOff, float[] scales, int scaleOff) {
        for (int g = 0; g < groups; g++) {
            int from = srcOff + g * groupSize, to = codeOff + g * groupSize;
            float max = 0f;
            for (int i = 0; i < groupSize; i++) max = Math.max(max, Math.abs(src[from + i]));
            float inv = max == 0f ? 0f : 127f / max;
            scales[scaleOff + g] = max / 127f;
            for (int i = 0; i < groupSize; i++) {
                float y = src[from + i] * inv;
                codes[to + i] = (byte) (int) (y + Math.copySign(0.5f, y));
            }
        }
    }

    @Override
    public void dequantizeQ8(byte[] codes, int codeOff, float[] scales, int scaleOff, int groups, int groupSize, float[] dst, int dstOff) {
        for (int g = 0; g < groups; g++) {
            float scale = scales[scaleOff + g];
            for (int i = 0; i < groupSize; i++) dst[dstOff + g * groupSize + i] = codes[codeOff + g * groupSize + i] * scale;
        }
    }

    @Override
    public void dotQ8Panels(float[] query, int qOff, int queries, int len, byte[] codes, int codeOff, int n, float[] out, int outOff) {
        RecallArguments.checkPanels(query, qOff, queries, len, codes, codeOff, n, out, outOff);
        for (int i = 0; i < queries; i++) {
            for (int p = 0; p < n; p++) {
                int at = codeOff + p / Q8_PANEL * Q8_PANEL * len + p % Q8_PANEL;
                float s = 0f;
                for (int j = 0; j < len; j++) s = Math.fma(query[qOff + i * len + j], codes[at + j * Q8_PANEL], s);
                out[outOff + i * n + p] = s;
            }
        }
    }

    @Override
    public float maxMultiplyAdd(float a, float[] x, int xOff, float[] y, int yOff, int len) {
        RecallArguments.checkMaxMultiplyAdd(x, xOff, y, yOff, len);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) max = Math.max(max, Math.fma(a, x[xOff + i], y[yOff + i]));
        return max;
    }

    @Override
    public void dotQ8Rows(float[] query, int qOff, int queries, byte[] codes, int codeOff, int codeStride, int rows, int len,
            float[] out, int outOff) {
        RecallArguments.checkDots(query, qOff, queries, codes, codeOff, codeStride, rows, len, out, outOff);
        for (int i = 0; i < queries; i++) {
            for (int r = 0; r < rows; r++) out[outOff + i * rows + r] = dotQ8(query, qOff + i * len, codes, codeOff + r * codeStride, len);
        }
    }

    /** The per-row definition: one {@link #attend} per query head and row over the row's visible slots. */
    @Override
    public void attendCausal(float[] queries, int rowFrom, int rowTo, int firstSlot, int[] windowStart, float[] keys,
            float[] values, int rowStride, int kvHead, int numHeads, int numKvHeads, int headSize, float scale, float[] out) {
        CausalArguments.check(queries, rowFrom, rowTo, firstSlot, windowStart, keys, values, rowStride, kvHead, numHeads,
                numKvHeads, headSize, out);
        int group = numHeads / numKvHeads;
        float[] probs = new float[firstSlot + rowTo];
        for (int r = rowFrom; r < rowTo; r++) {
            int from = windowStart[r];
            for (int h = kvHead * group; h < (kvHead + 1) * group; h++) {
                int off = (r * numHeads + h) * headSize;
                attend(queries, off, keys, values, rowStride, from * rowStride + kvHead * headSize, firstSlot + r + 1 - from,
                        headSize, scale, probs, out, off);
            }
        }
    }

    @Override
    public void matmulTransposed(float[] a, int aOff, int rows, float[] b, int bOff, int n, int k, float[] out, int outOff, int outStride) {
        MatmulArguments.check(a, aOff, rows, b, bOff, n, k, out, outOff, outStride);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) out[outOff + r * outStride + j] = dot(a, aOff + r * k, b, bOff + j * k, k);
        }
    }

    @Override
    public void decodeBf16(short[] src, int srcOff, float[] dst, int dstOff, int len) {
        Bf16.decode(src, srcOff, dst, dstOff, len);
    }

    @Override
    public void dequantizeQ4(byte[] packed, int packedOff, float[] scales, int scaleOff, int blocks, float[] dst, int dstOff) {
        int half = Q4_BLOCK / 2;
        for (int blk = 0; blk < blocks; blk++) {
            float scale = scales[scaleOff + blk];
            for (int i = 0; i < half; i++) {
                int code = packed[packedOff + blk * half + i];
                dst[dstOff + blk * Q4_BLOCK + i] = ((code & 0xF) - 8) * scale;
                dst[dstOff + blk * Q4_BLOCK + half + i] = (((code >> 4) & 0xF) - 8) * scale;
            }
        }
    }

    /** Block by block as {@link #dequantizeQ4} defines the values: a block's codes times x, then times its scale. */
    @Override
    public void gemvQ4(byte[] packed, int packedOff, float[] scales, int scaleOff, int rows, int k, float[] x, int xOff,
            float[] out, int outOff) {
        MatmulArguments.checkGemvQ4(packed, packedOff, scales, scaleOff, rows, k, x, xOff, out, outOff);
        int half = Q4_BLOCK / 2, blocks = k / Q4_BLOCK;
        for (int r = 0; r < rows; r++) {
            float sum = 0;
            for (int blk = 0; blk < blocks; blk++) {
                int from = packedOff + r * (k / 2) + blk * half, xb = xOff + blk * Q4_BLOCK;
                float block = 0;
                for (int i = 0; i < half; i++) {
                    int code = packed[from + i];
                    block += ((code & 0xF) - 8) * x[xb + i] + (((code >> 4) & 0xF) - 8) * x[xb + half + i];
                }
                sum += block * scales[scaleOff + r * blocks + blk];
            }
            out[outOff + r] = sum;
        }
    }
}
