package io.github.chunkkv.simd;

import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD kernels on the Panama Vector API ({@link FloatVector#SPECIES_PREFERRED}); lengths that do not fill a
 * vector finish in scalar tails. Stateless: scratch buffers are allocated per call, so one instance serves
 * every thread.
 */
public final class VectorKernels implements Kernels {
    /** The only instance: the kernels are stateless and allocate their scratch per call. */
    public static final VectorKernels INSTANCE = new VectorKernels();

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int L = F.length();
    /** Queries scored together in {@link #windowColumnSums}: each key vector loaded once feeds this many FMAs. */
    private static final int BLOCK = 4;

    private VectorKernels() {}

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public float softmax(float[] x, int off, int len) {
        if (len == 0) return Float.NEGATIVE_INFINITY;
        float max = max(x, off, len), sum = expInPlace(x, off, len, max);
        scaleInPlace(x, off, len, 1f / sum);
        return max + (float) Math.log(sum);
    }

    /** x[off..off+len) *= factor. */
    private static void scaleInPlace(float[] x, int off, int len, float factor) {
        FloatVector v = FloatVector.broadcast(F, factor);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(F, x, off + i).mul(v).intoArray(x, off + i);
        }
        for (; i < len; i++) x[off + i] *= factor;
    }

    private static float max(float[] x, int off, int len) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) m = m.max(FloatVector.fromArray(F, x, off + i));
        float s = m.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) s = Math.max(s, x[off + i]);
        return s;
    }

    /** x = exp(x - max) in place; returns the sum. The vector EXP is an SVML intrinsic on x86. */
    private static float expInPlace(float[] x, int off, int len, float max) {
        FloatVector m = FloatVector.broadcast(F, max);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, off + i).sub(m).lanewise(VectorOperators.EXP);
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            s += e;
        }
        return s;
    }

    private static float sum(float[] x, int off, int len) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) acc = acc.add(FloatVector.fromArray(F, x, off + i));
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) s += x[off + i];
        return s;
    }

    /**
     * Computes the logits as a small matrix product instead of one reduction per (query, key): the KV head's keys
     * are transposed once to {@code [headSize][width]}, so lanes run over keys and a block of queries broadcasts
     * one scalar per dimension. No horizontal reductions; each transposed key row is reused by every query
     * (group size x window rows) of the KV head.
     */
    @Override
    public void windowColumnSums(float[] queries, int rows, int firstSlot, float[] keys, int rowStride, int n,
            int numHeads, int numKvHeads, int headSize, float scale, float[] out) {
        if (rows == 0 || n == 0) return;
        int group = numHeads / numKvHeads;
        int width = roundUp(n, 2 * L); // the logit loop takes two key vectors per step; padding keys are zero
        float[] keysT = new float[headSize * width];
        float[] logits = new float[BLOCK * width];
        float[] qBlock = new float[BLOCK * headSize];
        int[] visible = new int[BLOCK];
        int[] target = new int[BLOCK];
        int perKvHead = group * rows;
        for (int g = 0; g < numKvHeads; g++) {
            transposeKeys(keys, rowStride, g * headSize, n, headSize, keysT, width);
            for (int t0 = 0; t0 < perKvHead; t0 += BLOCK) {
                int count = Math.min(BLOCK, perKvHead - t0), maxVisible = 0;
                for (int b = 0; b < BLOCK; b++) {
                    if (b < count) {
                        int h = g * group + (t0 + b) / rows, r = (t0 + b) % rows;
                        System.arraycopy(queries, (r * numHeads + h) * headSize, qBlock, b * headSize, headSize);
                        visible[b] = Math.min(n, firstSlot + r + 1);
                        target[b] = h * n;
                        maxVisible = Math.max(maxVisible, visible[b]);
                    } else {
                        Arrays.fill(qBlock, b * headSize, (b + 1) * headSize, 0f);
                    }
                }
                blockLogits(qBlock, 0, keysT, width, roundUp(maxVisible, 2 * L), headSize, scale, logits, 0);
                for (int b = 0; b < count; b++) {
                    int off = b * width, len = visible[b];
                    float sum = expInPlace(logits, off, len, max(logits, off, len));
                    axpy(1f / sum, logits, off, out, target[b], len);
                }
            }
        }
    }

    /** Tiles of 16 keys keep both the strided reads and the row writes inside L1. */
    private static void transposeKeys(float[] keys, int rowStride, int kvOff, int n, int headSize, float[] keysT, int width) {
        for (int s0 = 0; s0 < n; s0 += 16) {
            int s1 = Math.min(n, s0 + 16);
            for (int d = 0; d < headSize; d++) {
                int dst = d * width, src = kvOff + d;
                for (int s = s0; s < s1; s++) keysT[dst + s] = keys[s * rowStride + src];
            }
        }
    }

    /**
     * logits[lOff + b * width + j] = scale * q_b · k_j for the BLOCK queries at q[qOff + b * headSize] and keys
     * [0, cols), cols a multiple of 2L.
     */
    private static void blockLogits(float[] q, int qOff, float[] keysT, int width, int cols, int headSize, float scale,
            float[] logits, int lOff) {
        int q0 = qOff, q1 = qOff + headSize, q2 = qOff + 2 * headSize, q3 = qOff + 3 * headSize;
        for (int j = 0; j < cols; j += 2 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int d = 0; d < headSize; d++) {
                FloatVector k = FloatVector.fromArray(F, keysT, d * width + j);
                FloatVector kk = FloatVector.fromArray(F, keysT, d * width + j + L);
                FloatVector w0 = FloatVector.broadcast(F, q[q0 + d]), w1 = FloatVector.broadcast(F, q[q1 + d]);
                FloatVector w2 = FloatVector.broadcast(F, q[q2 + d]), w3 = FloatVector.broadcast(F, q[q3 + d]);
                a0 = k.fma(w0, a0);
                a1 = k.fma(w1, a1);
                a2 = k.fma(w2, a2);
                a3 = k.fma(w3, a3);
                b0 = kk.fma(w0, b0);
                b1 = kk.fma(w1, b1);
                b2 = kk.fma(w2, b2);
                b3 = kk.fma(w3, b3);
            }
            int l0 = lOff + j, l1 = l0 + width, l2 = l1 + width, l3 = l2 + width;
            a0.mul(scale).intoArray(logits, l0);
            b0.mul(scale).intoArray(logits, l0 + L);
            a1.mul(scale).intoArray(logits, l1);
            b1.mul(scale).intoArray(logits, l1 + L);
            a2.mul(scale).intoArray(logits, l2);
            b2.mul(scale).intoArray(logits, l2 + L);
            a3.mul(scale).intoArray(logits, l3);
            b3.mul(scale).intoArray(logits, l3 + L);
        }
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    /** Interior outputs add the same inputs in the same order as the scalar twin, so results are bit-identical. */
    @Override
    public void avgPool(float[] in, int inOff, int len, int kernel, float[] out, int outOff) {
        int half = kernel / 2;
        int i = 0;
        for (; i < Math.min(half, len); i++) out[outOff + i] = poolAt(in, inOff, len, kernel, i);
        FloatVector k = FloatVector.broadcast(F, (float) kernel);
        for (; i + L <= len - half; i += L) {
            FloatVector acc = FloatVector.zero(F);
            for (int t = i - half; t <= i + half; t++) acc = acc.add(FloatVector.fromArray(F, in, inOff + t));
            acc.div(k).intoArray(out, outOff + i);
        }
        for (; i < len; i++) out[outOff + i] = poolAt(in, inOff, len, kernel, i);
    }

    private static float poolAt(float[] in, int inOff, int len, int kernel, int i) {
        int half = kernel / 2;
        float s = 0f;
        for (int j = Math.max(0, i - half); j <= Math.min(len - 1, i + half); j++) s += in[inOff + j];
        return s / kernel;
    }

    @Override
    public int chunkMeans(float[] in, int len, int chunk, float[] out) {
        int chunks = Math.ceilDiv(len, chunk);
        for (int c = 0; c < chunks; c++) {
            int from = c * chunk, size = Math.min(len, from + chunk) - from;
            out[c] = sum(in, from, size) / size;
        }
        return chunks;
    }

    /**
     * Exact threshold selection: map values to order-preserving int keys, binary-search the k-th largest key with
     * vectorized counts (32 passes), then one ascending scan takes every key above it and the lowest-indexed ties.
     */
    @Override
    public int[] topK(float[] values, int len, int k) {
        if (k < 0 || k > len) throw new IllegalArgumentException("k must be in [0, " + len + "], got " + k);
        int[] keys = sortableKeys(values, len);
        long lo = Integer.MIN_VALUE, hi = Integer.MAX_VALUE; // invariant: countAtLeast(lo) >= k
        while (lo < hi) {
            long mid = (lo + hi + 1) >> 1;
            if (countAtLeast(keys, len, (int) mid) >= k) lo = mid;
            else hi = mid - 1;
        }
        int threshold = (int) lo;
        int ties = k - (threshold == Integer.MAX_VALUE ? 0 : countAtLeast(keys, len, threshold + 1));
        int[] kept = new int[k];
        for (int i = 0, m = 0; m < k; i++) {
            if (keys[i] > threshold || (keys[i] == threshold && ties-- > 0)) kept[m++] = i;
        }
        return kept;
    }

    /**
     * Int keys ordered like the scalar twin ranks floats: by Double.compare (so -0.0 below 0.0), with every NaN
     * below -infinity (NaN alone maps to Integer.MIN_VALUE).
     */
    private static int[] sortableKeys(float[] values, int len) {
        int[] keys = new int[len];
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, values, i);
            IntVector bits = v.reinterpretAsInts();
            IntVector key = bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.AND, 0x7fffffff));
            VectorMask<Integer> nan = v.test(VectorOperators.IS_NAN).cast(I);
            key.blend(Integer.MIN_VALUE, nan).intoArray(keys, i);
        }
        for (; i < len; i++) {
            int bits = Float.floatToRawIntBits(values[i]);
            keys[i] = Float.isNaN(values[i]) ? Integer.MIN_VALUE : bits ^ ((bits >> 31) & 0x7fffffff);
        }
        return keys;
    }

    private static int countAtLeast(int[] keys, int len, int threshold) {
        int count = 0, i = 0;
        for (int bound = I.loopBound(len); i < bound; i += L) {
            count += IntVector.fromArray(I, keys, i).compare(VectorOperators.GE, threshold).trueCount();
        }
        for (; i < len; i++) if (keys[i] >= threshold) count++;
        return count;
    }

    /** Shorts per float vector, for reading BF16 rows. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));

    /** BF16 lanes widened to float32: the 16 bits become the upper half of each float. */
    private static FloatVector bf16(short[] x, int off) {
        return ((IntVector) ShortVector.fromArray(S, x, off).convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    @Override
    public float dotBf16(float[] a, int aOff, short[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) acc = FloatVector.fromArray(F, a, aOff + i).fma(bf16(b, bOff + i), acc);
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) s += a[aOff + i] * Bf16.decode(b[bOff + i]);
        return s;
    }

    @Override
    public void axpyBf16(float alpha, short[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            bf16(x, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] += alpha * Bf16.decode(x[xOff + i]);
    }

    @Override
    public float dotQ8(float[] a, int aOff, byte[] codes, int bOff, int len) {
        if (B == null) return ScalarKernels.INSTANCE.dotQ8(a, aOff, codes, bOff, len);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) acc = FloatVector.fromArray(F, a, aOff + i).fma(q8(codes, bOff + i), acc);
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) s += a[aOff + i] * codes[bOff + i];
        return s;
    }

    @Override
    public void axpyQ8(float alpha, byte[] codes, int xOff, float[] y, int yOff, int len) {
        if (B == null) {
            ScalarKernels.INSTANCE.axpyQ8(alpha, codes, xOff, y, yOff, len);
            return;
        }
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            q8(codes, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] += alpha * codes[xOff + i];
    }

    private static FloatVector q8(byte[] codes, int off) {
        return (FloatVector) ByteVector.fromArray(B, codes, off).convertShape(VectorOperators.B2F, F, 0);
    }

    /** Bytes moved per float vector by the Q8 kernels; shapes below 64 bits do not exist, so short vectors use the scalar twin. */
    private static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * Byte.SIZE)) : null;

    @Override
    public void quantizeQ8(float[] src, int srcOff, int groups, int groupSize, byte[] codes, int codeOff, float[] scales, int scaleOff) {
        if (B == null) {
            ScalarKernels.INSTANCE.quantizeQ8(src, srcOff, groups, groupSize, codes, codeOff, scales, scaleOff);
            return;
        }
        int bound = F.loopBound(groupSize);
        for (int g = 0; g < groups; g++) {
            int from = srcOff + g * groupSize, to = codeOff + g * groupSize;
            FloatVector m = FloatVector.zero(F);
            int i = 0;
            for (; i < bound; i += L) m = m.max(FloatVector.fromArray(F, src, from + i).abs());
            float max = m.reduceLanes(VectorOperators.MAX);
            for (; i < groupSize; i++) max = Math.max(max, Math.abs(src[from + i]));
            float inv = max == 0f ? 0f : 127f / max;
            scales[scaleOff + g] = max / 127f;
            FloatVector half = FloatVector.broadcast(F, 0.5f), minusHalf = FloatVector.broadcast(F, -0.5f);
            for (i = 0; i < bound; i += L) {
                FloatVector y = FloatVector.fromArray(F, src, from + i).mul(inv);
                // round half away from zero, then F2B truncates toward zero like the scalar (byte) (int) cast
                ((ByteVector) y.add(half.blend(minusHalf, y.lt(0f))).convertShape(VectorOperators.F2B, B, 0)).intoArray(codes, to + i);
            }
            for (; i < groupSize; i++) {
                float y = src[from + i] * inv;
                codes[to + i] = (byte) (int) (y + Math.copySign(0.5f, y));
            }
        }
    }

    @Override
    public void dequantizeQ8(byte[] codes, int codeOff, float[] scales, int scaleOff, int groups, int groupSize, float[] dst, int dstOff) {
        if (B == null) {
            ScalarKernels.INSTANCE.dequantizeQ8(codes, codeOff, scales, scaleOff, groups, groupSize, dst, dstOff);
            return;
        }
        int bound = F.loopBound(groupSize);
        for (int g = 0; g < groups; g++) {
            int from = codeOff + g * groupSize, to = dstOff + g * groupSize;
            float scale = scales[scaleOff + g];
            int i = 0;
            for (; i < bound; i += L) {
                q8(codes, from + i).mul(scale).intoArray(dst, to + i);
            }
            for (; i < groupSize; i++) dst[to + i] = codes[from + i] * scale;
        }
    }

    /**
     * Two queries and two vectors of a panel at a time, so each pair of code vectors converted to floats feeds four
     * independent FMA chains; an odd last query is paired with itself and written once. Each lane adds up its sum in
     * the scalar twin's order, so both give the same results.
     */
    @Override
    public void dotQ8Panels(float[] query, int qOff, int queries, int len, byte[] codes, int codeOff, int n, float[] out, int outOff) {
        if (B == null || Q8_PANEL % (2 * L) != 0) {
            ScalarKernels.INSTANCE.dotQ8Panels(query, qOff, queries, len, codes, codeOff, n, out, outOff);
            return;
        }
        RecallArguments.checkPanels(query, qOff, queries, len, codes, codeOff, n, out, outOff);
        for (int i = 0; i < queries; i += 2) {
            int q0 = qOff + i * len, q1 = i + 1 < queries ? q0 + len : q0, o0 = outOff + i * n, o1 = i + 1 < queries ? o0 + n : o0;
            for (int start = 0; start < n; start += Q8_PANEL) {
                int panel = codeOff + start * len, count = Math.min(Q8_PANEL, n - start), p = 0;
                for (; p + 2 * L <= count; p += 2 * L) {
                    FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0;
                    for (int j = 0, at = panel + p; j < len; j++, at += Q8_PANEL) {
                        FloatVector x = q8(codes, at), y = q8(codes, at + L);
                        FloatVector w0 = FloatVector.broadcast(F, query[q0 + j]), w1 = FloatVector.broadcast(F, query[q1 + j]);
                        a0 = x.fma(w0, a0);
                        b0 = y.fma(w0, b0);
                        a1 = x.fma(w1, a1);
                        b1 = y.fma(w1, b1);
                    }
                    a0.intoArray(out, o0 + start + p);
                    b0.intoArray(out, o0 + start + p + L);
                    a1.intoArray(out, o1 + start + p);
                    b1.intoArray(out, o1 + start + p + L);
                }
                for (; p < count; p++) { // the last panel's tail
                    float s0 = 0f, s1 = 0f;
                    for (int j = 0, at = panel + p; j < len; j++, at += Q8_PANEL) {
                        s0 = Math.fma(query[q0 + j], codes[at], s0);
                        s1 = Math.fma(query[q1 + j], codes[at], s1);
                    }
                    out[o0 + start + p] = s0;
                    out[o1 + start + p] = s1;
                }
            }
        }
    }

    @Override
    public float maxMultiplyAdd(float a, float[] x, int xOff, float[] y, int yOff, int len) {
        RecallArguments.checkMaxMultiplyAdd(x, xOff, y, yOff, len);
        FloatVector alpha = FloatVector.broadcast(F, a), best = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            best = best.max(FloatVector.fromArray(F, x, xOff + i).fma(alpha, FloatVector.fromArray(F, y, yOff + i)));
        }
        float max = best.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) max = Math.max(max, Math.fma(a, x[xOff + i], y[yOff + i]));
        return max;
    }

    /**
     * Queries in pairs, so each code vector converted to floats feeds two FMAs; an odd last query is paired with
     * itself and written once. Each product adds up in the order of {@link #dotQ8}, so the results equal its own.
     */
    @Override
    public void dotQ8Rows(float[] query, int qOff, int queries, byte[] codes, int codeOff, int codeStride, int rows, int len,
            float[] out, int outOff) {
        if (B == null) {
            ScalarKernels.INSTANCE.dotQ8Rows(query, qOff, queries, codes, codeOff, codeStride, rows, len, out, outOff);
            return;
        }
        RecallArguments.checkDots(query, qOff, queries, codes, codeOff, codeStride, rows, len, out, outOff);
        int bound = F.loopBound(len);
        for (int r = 0; r < rows; r++) {
            int from = codeOff + r * codeStride;
            for (int i = 0; i < queries; i += 2) {
                int q0 = qOff + i * len, q1 = i + 1 < queries ? q0 + len : q0;
                FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector code = q8(codes, from + j);
                    acc0 = FloatVector.fromArray(F, query, q0 + j).fma(code, acc0);
                    acc1 = FloatVector.fromArray(F, query, q1 + j).fma(code, acc1);
                }
                float s0 = acc0.reduceLanes(VectorOperators.ADD), s1 = acc1.reduceLanes(VectorOperators.ADD);
                for (; j < len; j++) {
                    s0 += query[q0 + j] * codes[from + j];
                    s1 += query[q1 + j] * codes[from + j];
                }
                out[outOff + i * rows + r] = s0;
                if (i + 1 < queries) out[outOff + (i + 1) * rows + r] = s1;
            }
        }
    }

    /** Queries (rows x the heads of one KV group) per tile of {@link #attendCausal}: with 64 keys a tile, its scratch fits L2. */
    private static final int QUERY_TILE = 64;
    /** Keys per tile of {@link #attendCausal}: a multiple of the 2L keys {@link #blockLogits} takes per step. */
    private static final int KEY_TILE = roundUp(64, 2 * L);

    /**
     * FlashAttention on the CPU. Query rows go in tiles of about {@link #QUERY_TILE} queries holding every head of the
     * KV group for each row, so one loaded key tile serves the whole group; keys go in tiles of {@link #KEY_TILE}
     * slots. Per key tile: the logits as a small matrix product over the transposed keys ({@link #blockLogits}), an
     * online-softmax step per query (running max and sum, earlier output rescaled when the max grows), then the
     * weights times the value rows ({@link #weightedValues}). Key tiles before every row's window or after the
     * tile's last row are never read.
     */
    @Override
    public void attendCausal(float[] queries, int rowFrom, int rowTo, int firstSlot, int[] windowStart, float[] keys,
            float[] values, int rowStride, int kvHead, int numHeads, int numKvHeads, int headSize, float scale, float[] out) {
        CausalArguments.check(queries, rowFrom, rowTo, firstSlot, windowStart, keys, values, rowStride, kvHead, numHeads,
                numKvHeads, headSize, out);
        if (rowFrom == rowTo) return;
        int group = numHeads / numKvHeads, tileRows = Math.max(1, QUERY_TILE / group);
        FlashTile tile = new FlashTile(roundUp(Math.min(tileRows, rowTo - rowFrom) * group, BLOCK), headSize);
        int kvOff = kvHead * headSize;
        for (int r0 = rowFrom; r0 < rowTo; r0 += tileRows) {
            int r1 = Math.min(rowTo, r0 + tileRows), count = (r1 - r0) * group, padded = roundUp(count, BLOCK);
            tile.start(count, padded);
            int keyFrom = firstSlot + r1;
            for (int r = r0; r < r1; r++) {
                keyFrom = Math.min(keyFrom, windowStart[r]);
                for (int h = 0; h < group; h++) {
                    int i = (r - r0) * group + h;
                    System.arraycopy(queries, (r * numHeads + kvHead * group + h) * headSize, tile.q, i * headSize, headSize);
                }
            }
            for (int j0 = keyFrom, keyTo = firstSlot + r1; j0 < keyTo; j0 += KEY_TILE) {
                int width = Math.min(KEY_TILE, keyTo - j0);
                transposeKeys(keys, rowStride, j0 * rowStride + kvOff, width, headSize, tile.keysT, KEY_TILE);
                for (int b = 0; b < padded; b += BLOCK) {
                    blockLogits(tile.q, b * headSize, tile.keysT, KEY_TILE, roundUp(width, 2 * L), headSize, scale, tile.p, b * KEY_TILE);
                }
                for (int i = 0; i < count; i++) {
                    int r = r0 + i / group;
                    tile.softmaxStep(i, Math.clamp(windowStart[r] - j0, 0, width), Math.clamp(firstSlot + r + 1 - j0, 0, width), width);
                }
                for (int b = 0; b < padded; b += BLOCK) {
                    int from = width, to = 0;
                    for (int i = b; i < Math.min(count, b + BLOCK); i++) {
                        from = Math.min(from, tile.lo[i]);
                        to = Math.max(to, tile.hi[i]);
                    }
                    if (from < to) {
                        weightedValues(tile.p, b * KEY_TILE, KEY_TILE, values, j0 * rowStride + kvOff, rowStride, from, to, headSize, tile.o, b * headSize);
                    }
                }
            }
            for (int i = 0; i < count; i++) {
                int r = r0 + i / group, h = kvHead * group + i % group;
                scaleInPlace(tile.o, i * headSize, headSize, 1f / tile.runSum[i]);
                System.arraycopy(tile.o, i * headSize, out, (r * numHeads + h) * headSize, headSize);
            }
        }
    }

    /**
     * Scratch and online-softmax state of one query tile of {@link #attendCausal}. Queries past {@code count} (up to a
     * multiple of BLOCK) are zero padding: their logits and output rows are computed and never read.
     */
    private static final class FlashTile {
        final int headSize;
        final float[] q, keysT, p, o, runMax, runSum;
        /** Per query, the slots [lo, hi) of the current key tile it sees; every other weight of its row is 0. */
        final int[] lo, hi;

        FlashTile(int queries, int headSize) {
            this.headSize = headSize;
            q = new float[queries * headSize];
            keysT = new float[headSize * KEY_TILE];
            p = new float[queries * KEY_TILE];
            o = new float[queries * headSize];
            runMax = new float[queries];
            runSum = new float[queries];
            lo = new int[queries];
            hi = new int[queries];
        }

        void start(int count, int padded) {
            Arrays.fill(q, count * headSize, padded * headSize, 0f);
            Arrays.fill(o, 0, padded * headSize, 0f);
            Arrays.fill(runMax, 0, count, Float.NEGATIVE_INFINITY);
            Arrays.fill(runSum, 0, count, 0f);
        }

        /** Turns query i's logits over [lo, hi) into weights relative to its new running max; rescales what came before. */
        void softmaxStep(int i, int lo, int hi, int width) {
            int off = i * KEY_TILE;
            this.lo[i] = lo;
            this.hi[i] = hi;
            if (lo >= hi) {
                Arrays.fill(p, off, off + width, 0f);
                return;
            }
            float max = Math.max(runMax[i], max(p, off + lo, hi - lo));
            float sum = expInPlace(p, off + lo, hi - lo, max);
            Arrays.fill(p, off, off + lo, 0f);
            Arrays.fill(p, off + hi, off + width, 0f);
            float correction = (float) Math.exp(runMax[i] - max); // 0 on the first tile the query sees (runMax = -inf)
            runSum[i] = runSum[i] * correction + sum;
            if (correction != 1f) scaleInPlace(o, i * headSize, headSize, correction);
            runMax[i] = max;
        }
    }

    /**
     * o[oOff + b * headSize + d] += sum over j in [from, to) of p[pOff + b * width + j] * v_j[d] for the BLOCK queries b,
     * value row j at values[vOff + j * rowStride]. Two vectors of dimensions for the four queries stay in registers
     * across the keys; dimensions past the last 2L-wide step finish in scalar code.
     */
    private static void weightedValues(float[] p, int pOff, int width, float[] values, int vOff, int rowStride, int from, int to,
            int headSize, float[] o, int oOff) {
        int p0 = pOff, p1 = p0 + width, p2 = p1 + width, p3 = p2 + width;
        int o0 = oOff, o1 = o0 + headSize, o2 = o1 + headSize, o3 = o2 + headSize;
        int d = 0;
        for (; d + 2 * L <= headSize; d += 2 * L) {
            FloatVector a0 = FloatVector.fromArray(F, o, o0 + d), b0 = FloatVector.fromArray(F, o, o0 + d + L);
            FloatVector a1 = FloatVector.fromArray(F, o, o1 + d), b1 = FloatVector.fromArray(F, o, o1 + d + L);
            FloatVector a2 = FloatVector.fromArray(F, o, o2 + d), b2 = FloatVector.fromArray(F, o, o2 + d + L);
            FloatVector a3 = FloatVector.fromArray(F, o, o3 + d), b3 = FloatVector.fromArray(F, o, o3 + d + L);
            for (int j = from; j < to; j++) {
                int v = vOff + j * rowStride + d;
                FloatVector x = FloatVector.fromArray(F, values, v), y = FloatVector.fromArray(F, values, v + L);
                FloatVector w0 = FloatVector.broadcast(F, p[p0 + j]), w1 = FloatVector.broadcast(F, p[p1 + j]);
                FloatVector w2 = FloatVector.broadcast(F, p[p2 + j]), w3 = FloatVector.broadcast(F, p[p3 + j]);
                a0 = x.fma(w0, a0);
                b0 = y.fma(w0, b0);
                a1 = x.fma(w1, a1);
                b1 = y.fma(w1, b1);
                a2 = x.fma(w2, a2);
                b2 = y.fma(w2, b2);
                a3 = x.fma(w3, a3);
                b3 = y.fma(w3, b3);
            }
            a0.intoArray(o, o0 + d);
            b0.intoArray(o, o0 + d + L);
            a1.intoArray(o, o1 + d);
            b1.intoArray(o, o1 + d + L);
            a2.intoArray(o, o2 + d);
            b2.intoArray(o, o2 + d + L);
            a3.intoArray(o, o3 + d);
            b3.intoArray(o, o3 + d + L);
        }
        for (; d < headSize; d++) {
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            for (int j = from; j < to; j++) {
                float x = values[vOff + j * rowStride + d];
                s0 += p[p0 + j] * x;
                s1 += p[p1 + j] * x;
                s2 += p[p2 + j] * x;
                s3 += p[p3 + j] * x;
            }
            o[o0 + d] += s0;
            o[o1 + d] += s1;
            o[o2 + d] += s2;
            o[o3 + d] += s3;
        }
    }

    /** Rows and columns of one register tile of {@link #matmulTransposed}: 16 accumulators and 8 operand vectors. */
    private static final int TILE = 4;

    /**
     * Register-blocked 4 x 4 tiles, each output accumulated lane-wise over k and reduced at the end as {@link #dot}
     * does (and as Jlama's own F32 kernel does); outputs outside whole tiles are {@link #dot}s. The row tile's four rows stay in L1 while it sweeps the columns; callers keep {@code b} to a panel
     * that fits the L2 cache.
     */
    @Override
    public void matmulTransposed(float[] a, int aOff, int rows, float[] b, int bOff, int n, int k, float[] out, int outOff, int outStride) {
        MatmulArguments.check(a, aOff, rows, b, bOff, n, k, out, outOff, outStride);
        int tiledRows = rows - rows % TILE, tiledCols = n - n % TILE;
        for (int r = 0; r < tiledRows; r += TILE) {
            for (int j = 0; j < tiledCols; j += TILE) tile(a, aOff + r * k, b, bOff + j * k, k, out, outOff + r * outStride + j, outStride);
        }
        for (int r = 0; r < rows; r++) {
            for (int j = r < tiledRows ? tiledCols : 0; j < n; j++) out[outOff + r * outStride + j] = dot(a, aOff + r * k, b, bOff + j * k, k);
        }
    }

    private static void tile(float[] a, int a0, float[] b, int b0, int k, float[] out, int o, int outStride) {
        int a1 = a0 + k, a2 = a1 + k, a3 = a2 + k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int i = 0;
        for (int bound = F.loopBound(k); i < bound; i += L) {
            FloatVector w0 = FloatVector.fromArray(F, b, b0 + i), w1 = FloatVector.fromArray(F, b, b1 + i);
            FloatVector w2 = FloatVector.fromArray(F, b, b2 + i), w3 = FloatVector.fromArray(F, b, b3 + i);
            FloatVector x0 = FloatVector.fromArray(F, a, a0 + i), x1 = FloatVector.fromArray(F, a, a1 + i);
            FloatVector x2 = FloatVector.fromArray(F, a, a2 + i), x3 = FloatVector.fromArray(F, a, a3 + i);
            // one line per tile row, one column per weight row: the 16 products of the tile
            c00 = x0.fma(w0, c00); c01 = x0.fma(w1, c01); c02 = x0.fma(w2, c02); c03 = x0.fma(w3, c03);
            c10 = x1.fma(w0, c10); c11 = x1.fma(w1, c11); c12 = x1.fma(w2, c12); c13 = x1.fma(w3, c13);
            c20 = x2.fma(w0, c20); c21 = x2.fma(w1, c21); c22 = x2.fma(w2, c22); c23 = x2.fma(w3, c23);
            c30 = x3.fma(w0, c30); c31 = x3.fma(w1, c31); c32 = x3.fma(w2, c32); c33 = x3.fma(w3, c33);
        }
        tileRow(c00, c01, c02, c03, a, a0, b, b0, i, k, out, o);
        tileRow(c10, c11, c12, c13, a, a1, b, b0, i, k, out, o + outStride);
        tileRow(c20, c21, c22, c23, a, a2, b, b0, i, k, out, o + 2 * outStride);
        tileRow(c30, c31, c32, c33, a, a3, b, b0, i, k, out, o + 3 * outStride);
    }

    /** Reduces one tile row's four accumulators and adds the scalar tail [tail, k), in {@link #dot}'s order. */
    private static void tileRow(FloatVector c0, FloatVector c1, FloatVector c2, FloatVector c3, float[] a, int aRow, float[] b,
            int b0, int tail, int k, float[] out, int o) {
        out[o] = finish(c0, a, aRow, b, b0, tail, k);
        out[o + 1] = finish(c1, a, aRow, b, b0 + k, tail, k);
        out[o + 2] = finish(c2, a, aRow, b, b0 + 2 * k, tail, k);
        out[o + 3] = finish(c3, a, aRow, b, b0 + 3 * k, tail, k);
    }

    private static float finish(FloatVector acc, float[] a, int aRow, float[] b, int bRow, int tail, int k) {
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (int i = tail; i < k; i++) s += a[aRow + i] * b[bRow + i];
        return s;
    }

    @Override
    public void decodeBf16(short[] src, int srcOff, float[] dst, int dstOff, int len) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) bf16(src, srcOff + i).intoArray(dst, dstOff + i);
        for (; i < len; i++) dst[dstOff + i] = Bf16.decode(src[srcOff + i]);
    }

    /**
     * One block's low nibbles give its first half, the high nibbles its second; bytes are widened to float L lanes at
     * a time. Float vectors wider than half a block (L > 16) take the scalar twin.
     */
    @Override
    public void dequantizeQ4(byte[] packed, int packedOff, float[] scales, int scaleOff, int blocks, float[] dst, int dstOff) {
        int half = Q4_BLOCK / 2;
        if (B == null || half % L != 0) {
            ScalarKernels.INSTANCE.dequantizeQ4(packed, packedOff, scales, scaleOff, blocks, dst, dstOff);
            return;
        }
        for (int blk = 0; blk < blocks; blk++) {
            FloatVector scale = FloatVector.broadcast(F, scales[scaleOff + blk]);
            int from = packedOff + blk * half, to = dstOff + blk * Q4_BLOCK;
            for (int i = 0; i < half; i += L) {
                ByteVector codes = ByteVector.fromArray(B, packed, from + i);
                q4(codes.and((byte) 0xF)).mul(scale).intoArray(dst, to + i);
                q4(codes.lanewise(VectorOperators.LSHR, 4)).mul(scale).intoArray(dst, to + half + i);
            }
        }
    }

    /** Unsigned 4-bit codes (0..15) to the floats c - 8 they stand for. */
    private static FloatVector q4(ByteVector codes) {
        return (FloatVector) codes.sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Reads each code byte once and expands its nibbles in registers (no float copy of the weights in memory): a
     * block's codes times x in a fresh vector, then times the block's scale into the row's sum, so the block products
     * are independent FMA chains and the running sum takes one FMA per block. One row at a time: a kernel with four
     * rows per pass sharing the activation loads measured several times slower here, as C2 stopped keeping its
     * vectors in registers.
     */
    @Override
    public void gemvQ4(byte[] packed, int packedOff, float[] scales, int scaleOff, int rows, int k, float[] x, int xOff,
            float[] out, int outOff) {
        int half = Q4_BLOCK / 2;
        if (B == null || half % L != 0) {
            ScalarKernels.INSTANCE.gemvQ4(packed, packedOff, scales, scaleOff, rows, k, x, xOff, out, outOff);
            return;
        }
        MatmulArguments.checkGemvQ4(packed, packedOff, scales, scaleOff, rows, k, x, xOff, out, outOff);
        int blocks = k / Q4_BLOCK;
        for (int r = 0; r < rows; r++) {
            FloatVector acc = FloatVector.zero(F);
            for (int blk = 0; blk < blocks; blk++) {
                FloatVector block = FloatVector.zero(F);
                int from = packedOff + r * (k / 2) + blk * half, xb = xOff + blk * Q4_BLOCK;
                for (int i = 0; i < half; i += L) {
                    IntVector codes = (IntVector) ByteVector.fromArray(B, packed, from + i).convertShape(VectorOperators.B2I, I, 0);
                    block = q4Exact(codes.and(0xF)).fma(FloatVector.fromArray(F, x, xb + i), block);
                    block = q4Exact(codes.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(FloatVector.fromArray(F, x, xb + half + i), block);
                }
                acc = block.fma(FloatVector.broadcast(F, scales[scaleOff + r * blocks + blk]), acc);
            }
            out[outOff + r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * Codes 0..15 in int lanes to the floats c - 8, without a conversion instruction: 2^23 + c has c in its low mantissa
     * bits, so OR-ing c into 2^23's bit pattern and subtracting 2^23 + 8 is exact.
     */
    private static FloatVector q4Exact(IntVector codes) {
        return codes.or(0x4B000000).reinterpretAsFloats().sub(0x1p23f + 8);
    }
}
