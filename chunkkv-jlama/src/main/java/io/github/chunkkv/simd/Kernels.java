package io.github.chunkkv.simd;

import java.util.Arrays;

/**
 * The numeric kernels of the cache and its policies. {@link VectorKernels} is the SIMD implementation used in
 * production; {@link ScalarKernels} is its plain twin, which tests compare it against. The attention methods are
 * compositions of the primitives (dot, softmax, axpy and their BF16/Q8 forms), shared by both.
 *
 * <p>Cache rows are laid out like Jlama's: row {@code s} holds all KV heads, head {@code g} at
 * {@code s * rowStride + g * headSize}. Query rows hold all query heads, head {@code h} at {@code h * headSize};
 * query head {@code h} reads KV head {@code h / (numHeads / numKvHeads)}.
 */
public interface Kernels {
    /**
     * The SIMD kernels, unless -Dchunkkv.kernels=scalar asks for the scalar twins or the JVM was started without
     * {@code --add-modules jdk.incubator.vector} (loading {@link VectorKernels} would then fail).
     */
    static Kernels preferred() {
        boolean simd = !"scalar".equals(System.getProperty("chunkkv.kernels"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        return simd ? VectorKernels.INSTANCE : ScalarKernels.INSTANCE;
    }

    /** Sum of a[aOff..aOff+len) * b[bOff..bOff+len). */
    float dot(float[] a, int aOff, float[] b, int bOff, int len);

    /** y[yOff..yOff+len) += alpha * x[xOff..xOff+len). */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len);

    /**
     * In-place float32 softmax of x[off..off+len) (max-subtracted); returns the log of its normaliser,
     * {@code log sum exp(x)} (negative infinity for len 0), which lets a caller merge further terms into the result.
     */
    float softmax(float[] x, int off, int len);

    /**
     * Attention of one query head over cache rows [0, length): out[outOff..+headSize) = softmax(scale * q·k) · v.
     *
     * @param kvOff offset of the KV head inside a cache row
     * @param probs scratch of at least {@code length} floats; holds the softmax weights afterwards
     * @return the log of the softmax normaliser, {@code log sum_s exp(scale * q·k_s)}
     */
    default float attend(float[] query, int qOff, float[] keys, float[] values, int rowStride, int kvOff, int length,
            int headSize, float scale, float[] probs, float[] out, int outOff) {
        for (int s = 0; s < length; s++) probs[s] = scale * dot(query, qOff, keys, s * rowStride + kvOff, headSize);
        float logNormaliser = softmax(probs, 0, length);
        Arrays.fill(out, outOff, outOff + headSize, 0f);
        for (int s = 0; s < length; s++) axpy(probs[s], values, s * rowStride + kvOff, out, outOff, headSize);
        return logNormaliser;
    }

    /**
     * One block of split-K decode attention ("FlashDecoding"): the query row at {@code query[qOff..]} (every head, laid
     * out as a query row) over cache slots [from, to), stored in {@code partials} as block {@code block}: per query
     * head h, the log of its softmax normaliser over the block and softmax(scale * q_h·k)·v over the block. All heads
     * go in one pass over the block's rows, so each key and each value row is read once, whole, and serves every query
     * head (a KV group's heads share the KV head's slice). Blocks are independent: callers run them in parallel and
     * {@link AttentionPartials#merge} them. An empty block has log normaliser -infinity and output 0.
     *
     * @throws IllegalArgumentException before anything is written, if the block is not one {@code partials} reserved,
     *     the slot range is inverted or longer than the reserved block slots, numKvHeads does not divide the heads,
     *     rowStride is shorter than a row, or an array is too short for the query row or the slots named
     */
    default void attendBlock(float[] query, int qOff, float[] keys, float[] values, int rowStride, int numKvHeads, float scale,
            int from, int to, AttentionPartials partials, int block) {
        partials.checkBlock(query, qOff, keys, values, rowStride, numKvHeads, from, to, block);
        int heads = partials.numHeads, headSize = partials.headSize, group = heads / numKvHeads;
        int length = to - from, slots = partials.blockSlots, state = block * heads;
        float[] logits = partials.logits, outputs = partials.outputs;
        for (int s = from; s < to; s++) {
            int row = s * rowStride, column = state * slots + s - from;
            for (int h = 0; h < heads; h++) {
                logits[column + h * slots] = scale * dot(query, qOff + h * headSize, keys, row + h / group * headSize, headSize);
            }
        }
        for (int h = 0; h < heads; h++) {
            partials.blockLogNormalisers[state + h] = softmax(logits, (state + h) * slots, length);
        }
        Arrays.fill(outputs, state * headSize, (state + heads) * headSize, 0f);
        for (int s = from; s < to; s++) {
            int row = s * rowStride, column = state * slots + s - from;
            for (int h = 0; h < heads; h++) {
                axpy(logits[column + h * slots], values, row + h / group * headSize, outputs, (state + h) * headSize, headSize);
            }
        }
    }

    /** Sum of a[aOff..aOff+len) * bf16 b[bOff..bOff+len) (see {@link Bf16}). */
    float dotBf16(float[] a, int aOff, short[] b, int bOff, int len);

    /** y[yOff..yOff+len) += alpha * bf16 x[xOff..xOff+len). */
    void axpyBf16(float alpha, short[] x, int xOff, float[] y, int yOff, int len);

    /** Sum of a[aOff..aOff+len) * codes[bOff..bOff+len), unscaled (the caller applies the group's Q8 scale). */
    float dotQ8(float[] a, int aOff, byte[] codes, int bOff, int len);

    /** y[yOff..yOff+len) += alpha * codes[xOff..xOff+len) (alpha carries the group's Q8 scale). */
    void axpyQ8(float alpha, byte[] codes, int xOff, float[] y, int yOff, int len);

    /** As {@link #attend}, over BF16 cache rows. */
    default float attendBf16(float[] query, int qOff, short[] keys, short[] values, int rowStride, int kvOff, int length,
            int headSize, float scale, float[] probs, float[] out, int outOff) {
        for (int s = 0; s < length; s++) probs[s] = scale * dotBf16(query, qOff, keys, s * rowStride + kvOff, headSize);
        float logNormaliser = softmax(probs, 0, length);
        Arrays.fill(out, outOff, outOff + headSize, 0f);
        for (int s = 0; s < length; s++) axpyBf16(probs[s], values, s * rowStride + kvOff, out, outOff, headSize);
        return logNormaliser;
    }

    /**
     * As {@link #attend}, over Q8 cache rows (see {@link #quantizeQ8}): element i of the KV head in row s is
     * {@code codes[s * rowStride + kvOff + i] * scales[s * scaleStride + scaleOff]}.
     */
    default float attendQ8(float[] query, int qOff, byte[] keys, float[] keyScales, byte[] values, float[] valueScales,
            int rowStride, int kvOff, int scaleStride, int scaleOff, int length, int headSize, float scale, float[] probs,
            float[] out, int outOff) {
        for (int s = 0; s < length; s++) {
            probs[s] = scale * keyScales[s * scaleStride + scaleOff] * dotQ8(query, qOff, keys, s * rowStride + kvOff, headSize);
        }
        float logNormaliser = softmax(probs, 0, length);
        Arrays.fill(out, outOff, outOff + headSize, 0f);
        for (int s = 0; s < length; s++) {
            axpyQ8(probs[s] * valueScales[s * scaleStride + scaleOff], values, s * rowStride + kvOff, out, outOff, headSize);
        }
        return logNormaliser;
    }

    /**
     * Window scoring: for the {@code rows} query rows in {@code queries} (row r sits at cache slot
     * {@code firstSlot + r} and sees slots [0, firstSlot + r], causal), adds each query head's float32 softmax
     * attention over the first {@code n} cache slots into {@code out[h * n + j]} (slots it cannot see add 0).
     * Dividing by {@code rows} gives the mean over the window.
     */
    void windowColumnSums(float[] queries, int rows, int firstSlot, float[] keys, int rowStride, int n, int numHeads,
            int numKvHeads, int headSize, float scale, float[] out);

    /** 1-D average pooling, stride 1, zero padding counted: out[i] = sum(in[i-k/2 .. i+k/2]) / k. */
    void avgPool(float[] in, int inOff, int len, int kernel, float[] out, int outOff);

    /** Means of consecutive chunks of {@code chunk} values (the last may be partial); returns the chunk count. */
    int chunkMeans(float[] in, int len, int chunk, float[] out);

    /** Indices of the {@code k} largest of values[0..len), ties toward the lower index, returned ascending. */
    int[] topK(float[] values, int len, int k);

    /**
     * Q8 quantization of {@code groups} consecutive groups of {@code groupSize} floats (a group is one KV head of one
     * cache row): {@code scales[scaleOff + g] = max|x| / 127} over group g, and each code is x / scale rounded half
     * away from zero, so codes lie in [-127, 127]. An all-zero group gets scale 0 and zero codes. Inputs must be finite.
     */
    void quantizeQ8(float[] src, int srcOff, int groups, int groupSize, byte[] codes, int codeOff, float[] scales, int scaleOff);

    /** Inverse of {@link #quantizeQ8}: {@code dst = code * scale} of the code's group. */
    void dequantizeQ8(byte[] codes, int codeOff, float[] scales, int scaleOff, int groups, int groupSize, float[] dst, int dstOff);

    /** Vectors per panel of {@link #dotQ8Panels}' layout. */
    int Q8_PANEL = 64;

    /**
     * Products of each of {@code queries} float vectors ({@code len} apart from {@code qOff}) with each of {@code n}
     * code vectors stored in panels of {@link #Q8_PANEL} vectors by dimension: vector p's j-th code at
     * {@code codeOff + (p / Q8_PANEL) * Q8_PANEL * len + j * Q8_PANEL + p % Q8_PANEL}, and the last panel whole.
     * {@code out[outOff + i * n + p] = sum_j query[qOff + i * len + j] * code_j(p)}, unscaled, each sum taken in order of
     * j with fused multiply-adds. The layout suits many short vectors (the coordinates of a low-rank key sketch): lanes
     * run over vectors, so no sum is reduced across lanes, and a panel is read front to back.
     *
     * @throws IllegalArgumentException before anything is written, if a count or offset is negative or an array is too
     *     short for what is named (see {@link RecallArguments#checkPanels})
     */
    void dotQ8Panels(float[] query, int qOff, int queries, int len, byte[] codes, int codeOff, int n, float[] out, int outOff);

    /**
     * The largest {@code fma(a, x[xOff + i], y[yOff + i])} over i in [0, len), negative infinity for len 0: the largest
     * of a batch of bounds {@code y + a · x} (decode-time recall's sketch products plus a query's norm times each row's
     * remainder), exactly, since both implementations round each term once and a maximum rounds nothing.
     *
     * @throws IllegalArgumentException before anything is read, if len or an offset is negative or an array is too short
     *     (see {@link RecallArguments#checkMaxMultiplyAdd})
     */
    float maxMultiplyAdd(float a, float[] x, int xOff, float[] y, int yOff, int len);

    /**
     * {@link #dotQ8} of each of {@code queries} float vectors ({@code len} apart from {@code qOff}) with each of
     * {@code rows} code rows ({@code codeStride} apart from {@code codeOff}):
     * {@code out[outOff + i * rows + r] = sum_j query[qOff + i * len + j] * codes[codeOff + r * codeStride + j]},
     * unscaled. Each row's codes are read once for all queries.
     *
     * @throws IllegalArgumentException before anything is written, if a count or offset is negative, codeStride is
     *     below len (with more than one row), or an array is too short for what is named (see
     *     {@link RecallArguments#checkDots})
     */
    void dotQ8Rows(float[] query, int qOff, int queries, byte[] codes, int codeOff, int codeStride, int rows, int len,
            float[] out, int outOff);

    /**
     * Causal attention of a batch of query rows (prefill), for the query heads of KV head {@code kvHead}: query row
     * r in [rowFrom, rowTo) of {@code queries} sits at cache slot {@code firstSlot + r} and sees slots
     * [windowStart[r], firstSlot + r]; each of its heads' softmax(scale * q·k)·v is written to {@code out} at that
     * query's own offset (out rows are laid out like query rows; other rows and heads are left untouched). The cache
     * layout is as in {@link #attend}, and the cache holds at least {@code firstSlot + rowTo} rows.
     *
     * @throws IllegalArgumentException before anything is written, if a row range, head count or window start is
     *     outside its allowed range (see {@link CausalArguments#check})
     */
    void attendCausal(float[] queries, int rowFrom, int rowTo, int firstSlot, int[] windowStart, float[] keys, float[] values,
            int rowStride, int kvHead, int numHeads, int numKvHeads, int headSize, float scale, float[] out);

    /**
     * Matrix product with the right operand stored one output column per row, as Jlama stores weights (one row per
     * output feature): {@code out[outOff + r * outStride + j] = sum_i a[aOff + r * k + i] * b[bOff + j * k + i]} for
     * r in [0, rows), j in [0, n).
     *
     * @throws IllegalArgumentException before anything is written, if a size is negative, {@code outStride < n}, or an
     *     array is too short for the rows and columns named (see {@link MatmulArguments#check})
     */
    void matmulTransposed(float[] a, int aOff, int rows, float[] b, int bOff, int n, int k, float[] out, int outOff, int outStride);

    /** Decodes {@code len} bfloat16 values (see {@link Bf16}) from {@code src[srcOff..]} to float32 in {@code dst[dstOff..]}. */
    void decodeBf16(short[] src, int srcOff, float[] dst, int dstOff, int len);

    /**
     * Dequantizes {@code blocks} blocks of Jlama's Q4 format to float32: block b holds {@link #Q4_BLOCK} values in
     * {@code Q4_BLOCK / 2} bytes at {@code packed[packedOff + b * Q4_BLOCK / 2]}, byte i carrying value i in its low nibble
     * and value i + Q4_BLOCK / 2 in its high nibble, each nibble an unsigned code c standing for
     * {@code (c - 8) * scales[scaleOff + b]}.
     */
    void dequantizeQ4(byte[] packed, int packedOff, float[] scales, int scaleOff, int blocks, float[] dst, int dstOff);

    /**
     * Matrix-vector product over Q4 weights (decoding's projections): {@code out[outOff + r] = sum_i x[xOff + i] * w[r, i]}
     * for r in [0, rows), where w is in the layout of {@link #dequantizeQ4}, rows one after another: row r's
     * {@code k / 2} code bytes start at {@code packed[packedOff + r * k / 2]} and its {@code k / Q4_BLOCK} block scales at
     * {@code scales[scaleOff + r * k / Q4_BLOCK]}.
     *
     * @throws IllegalArgumentException before anything is written, if rows is negative, k is not a non-negative
     *     multiple of {@link #Q4_BLOCK}, an offset is negative, or an array is too short for the rows named (see
     *     {@link MatmulArguments#checkGemvQ4})
     */
    void gemvQ4(byte[] packed, int packedOff, float[] scales, int scaleOff, int rows, int k, float[] x, int xOff, float[] out, int outOff);

    /** Values per Q4 block (Jlama's {@code Q4ByteBufferTensor.BLOCK_SIZE}). */
    int Q4_BLOCK = 32;
}
