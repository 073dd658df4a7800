package io.github.chunkkv.simd;

import java.util.Arrays;

/**
 * The per-block results of split-K decode attention ({@link Kernels#attendBlock}): for each block of cache slots and
 * each query head, the block's log softmax normaliser and its attention output normalised within the block, plus each
 * block's logit scratch. {@link #merge} combines the blocks with the log-sum-exp rule into attention over all of them.
 * The arrays grow to the most blocks and slots asked for and are then reused, so a decode step allocates nothing here;
 * one instance serves one decode step at a time (its blocks may run on different threads).
 */
public final class AttentionPartials {
    final int numHeads, headSize;
    /** Slots per block's logit scratch, as last {@link #reserve reserved}. */
    int blockSlots;
    private int blocks;
    /** Indexed {@code block * numHeads + head}. */
    float[] blockLogNormalisers = new float[0];
    /** Head h of block b at {@code (b * numHeads + h) * headSize}. */
    float[] outputs = new float[0];
    /** Head h of block b at {@code (b * numHeads + h) * blockSlots}. */
    float[] logits = new float[0];

    /**
     * Partials for a query row of {@code numHeads} heads of {@code headSize}; {@link #reserve} makes room for blocks.
     *
     * @throws IllegalArgumentException if numHeads or headSize is below 1
     */
    public AttentionPartials(int numHeads, int headSize) {
        if (numHeads < 1) throw new IllegalArgumentException("numHeads must be >= 1, got " + numHeads);
        if (headSize < 1) throw new IllegalArgumentException("headSize must be >= 1, got " + headSize);
        this.numHeads = numHeads;
        this.headSize = headSize;
    }

    /**
     * Makes room for {@code blocks} blocks of at most {@code blockSlots} slots each, for the next step's
     * {@link Kernels#attendBlock} calls and {@link #merge}.
     *
     * @throws IllegalArgumentException if blocks or blockSlots is below 1
     */
    public void reserve(int blocks, int blockSlots) {
        if (blocks < 1) throw new IllegalArgumentException("blocks must be >= 1, got " + blocks);
        if (blockSlots < 1) throw new IllegalArgumentException("blockSlots must be >= 1, got " + blockSlots);
        this.blocks = blocks;
        this.blockSlots = blockSlots;
        int states = blocks * numHeads;
        if (blockLogNormalisers.length < states) blockLogNormalisers = new float[states];
        if (outputs.length < states * headSize) outputs = new float[states * headSize];
        if (logits.length < states * blockSlots) logits = new float[states * blockSlots];
    }

    /** Blocks the last {@link #reserve} made room for. */
    public int blocks() {
        return blocks;
    }

    /**
     * Attention over the union of the reserved blocks' slots: for each query head h, writes its output to
     * {@code out[outOff + h * headSize ..]} and the log of its softmax normaliser to {@code logNormalisers[lnOff + h]}.
     * With Z_b the blocks' normalisers, the output is {@code sum_b Z_b o_b / sum_b Z_b}, computed relative to the
     * largest log Z_b so nothing overflows. Over no slots at all the output is 0 and the log normaliser -infinity.
     */
    public void merge(float[] out, int outOff, float[] logNormalisers, int lnOff) {
        for (int h = 0; h < numHeads; h++) {
            int o = outOff + h * headSize;
            float max = Float.NEGATIVE_INFINITY;
            for (int b = 0; b < blocks; b++) max = Math.max(max, blockLogNormalisers[b * numHeads + h]);
            Arrays.fill(out, o, o + headSize, 0f);
            if (max == Float.NEGATIVE_INFINITY) {
                logNormalisers[lnOff + h] = max;
                continue;
            }
            float sum = 0f;
            for (int b = 0; b < blocks; b++) {
                int state = b * numHeads + h;
                float weight = (float) Math.exp(blockLogNormalisers[state] - max);
                if (weight == 0f) continue;
                sum += weight;
                for (int d = 0, from = state * headSize; d < headSize; d++) out[o + d] += weight * outputs[from + d];
            }
            float inverse = 1f / sum;
            for (int d = 0; d < headSize; d++) out[o + d] *= inverse;
            logNormalisers[lnOff + h] = max + (float) Math.log(sum);
        }
    }

    /**
     * Throws {@link IllegalArgumentException} naming the parameter and its allowed range unless block {@code block}
     * over slots [from, to) fits what was reserved and the arrays hold what it reads. It runs for every block of every
     * decode step, so a message is only built for an argument that fails.
     */
    void checkBlock(float[] query, int qOff, float[] keys, float[] values, int rowStride, int numKvHeads, int from, int to, int block) {
        if (block < 0 || block >= blocks) {
            throw new IllegalArgumentException("block must be in [0, " + (blocks - 1) + "] (reserved blocks), got " + block);
        }
        if (from < 0 || from > to) {
            throw new IllegalArgumentException("from must be in [0, to = " + to + "], got " + from);
        }
        if (to - from > blockSlots) {
            throw new IllegalArgumentException("to - from must be in [0, " + blockSlots + "] (reserved block slots), got " + (to - from));
        }
        if (numKvHeads < 1 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("numKvHeads must divide numHeads = " + numHeads + ", got " + numKvHeads);
        }
        if (rowStride < numKvHeads * headSize) {
            throw new IllegalArgumentException("rowStride must be >= numKvHeads * headSize = " + numKvHeads * headSize + ", got " + rowStride);
        }
        long queryEnd = (long) qOff + (long) numHeads * headSize, cacheValues = (long) to * rowStride;
        if (qOff < 0 || queryEnd > query.length) {
            throw new IllegalArgumentException("qOff must be in [0, " + (query.length - (long) numHeads * headSize) + "] (a whole query row), got " + qOff);
        }
        if (keys.length < cacheValues) {
            throw new IllegalArgumentException("keys must hold " + cacheValues + " values (to rows), got " + keys.length);
        }
        if (values.length < cacheValues) {
            throw new IllegalArgumentException("values must hold " + cacheValues + " values (to rows), got " + values.length);
        }
    }
}
