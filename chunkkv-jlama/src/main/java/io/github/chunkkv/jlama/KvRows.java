package io.github.chunkkv.jlama;

import io.github.chunkkv.config.KvPrecision;
import io.github.chunkkv.simd.AttentionPartials;
import io.github.chunkkv.simd.Bf16;
import io.github.chunkkv.simd.Kernels;
import java.lang.reflect.Array;
import java.util.Arrays;

/**
 * The K and V rows of one layer's cache in one {@link KvPrecision}, with room for {@link #capacity()} rows. Rows hold
 * every KV head (Jlama's layout, {@code rowStride = kvHeads * headSize} values). Rows are written from float32 and
 * encoded once; attention reads them encoded, everything else asks for a decoded float32 copy.
 */
abstract sealed class KvRows {
    final int rowStride, headSize;
    int capacity;

    private KvRows(int rowStride, int headSize, int capacity) {
        this.rowStride = rowStride;
        this.headSize = headSize;
        this.capacity = capacity;
    }

    static KvRows create(KvPrecision precision, int rowStride, int headSize, int capacity) {
        return switch (precision) {
            case F32 -> new F32(rowStride, headSize, capacity);
            case BF16 -> new Bf16Rows(rowStride, headSize, capacity);
            case Q8 -> new Q8(rowStride, headSize, capacity);
        };
    }

    abstract KvPrecision precision();

    int capacity() {
        return capacity;
    }

    /** Bytes one row of K and V takes, scales included. */
    abstract int bytesPerRow();

    /** Encodes {@code rows} K/V rows from row-major float32 buffers (starting at row {@code srcRow}) into row {@code row} on. */
    abstract void write(int row, float[] k, float[] v, int srcRow, int rows);

    /** Copies row {@code from} of {@code src} (same precision and shape) to row {@code to} of this. */
    abstract void copyRow(KvRows src, int from, int to);

    /** Float32 copies (F32: the live arrays) of the first {@code rows} keys and values. */
    abstract float[] keys(int rows);

    abstract float[] values(int rows);

    /** Reallocates to exactly {@code rows} rows, keeping the first min(rows, capacity). */
    abstract void resize(int rows);

    /**
     * Attention of one query head over rows [from, from + length) of KV head {@code kvHead}; see
     * {@link Kernels#attend}. Returns the log of the softmax normaliser.
     */
    abstract float attend(Kernels kernels, float[] q, int qOff, int kvHead, int from, int length, float scale, float[] probs,
            float[] out, int outOff);

    /** Moves rows {@code slots[0..count)} (ascending) to rows 0..count, in place. */
    final void gather(int[] slots, int count) {
        for (int i = 0; i < count; i++) if (slots[i] != i) copyRow(this, slots[i], i);
    }

    /**
     * Rows held in one array per K and V with {@code rowStride} elements a row (float[] or short[]): copying and
     * resizing do not depend on the element type.
     */
    private abstract static sealed class Dense extends KvRows {
        Object keys, values;

        private Dense(int rowStride, int headSize, int capacity) {
            super(rowStride, headSize, capacity);
            keys = allocate(capacity * rowStride);
            values = allocate(capacity * rowStride);
        }

        abstract Object allocate(int length);

        @Override
        void copyRow(KvRows src, int from, int to) {
            Dense s = (Dense) src;
            System.arraycopy(s.keys, from * rowStride, keys, to * rowStride, rowStride);
            System.arraycopy(s.values, from * rowStride, values, to * rowStride, rowStride);
        }

        @Override
        void resize(int rows) {
            keys = copyOf(keys, rows * rowStride);
            values = copyOf(values, rows * rowStride);
            capacity = rows;
        }

        final Object copyOf(Object array, int length) {
            Object grown = allocate(length);
            System.arraycopy(array, 0, grown, 0, Math.min(length, Array.getLength(array)));
            return grown;
        }
    }

    static final class F32 extends Dense {
        F32(int rowStride, int headSize, int capacity) {
            super(rowStride, headSize, capacity);
        }

        @Override
        Object allocate(int length) {
            return new float[length];
        }

        @Override
        KvPrecision precision() {
            return KvPrecision.F32;
        }

        @Override
        int bytesPerRow() {
            return 2 * rowStride * Float.BYTES;
        }

        @Override
        void write(int row, float[] k, float[] v, int srcRow, int rows) {
            System.arraycopy(k, srcRow * rowStride, keys, row * rowStride, rows * rowStride);
            System.arraycopy(v, srcRow * rowStride, values, row * rowStride, rows * rowStride);
        }

        @Override
        float[] keys(int rows) {
            return (float[]) keys;
        }

        @Override
        float[] values(int rows) {
            return (float[]) values;
        }

        @Override
        float attend(Kernels kernels, float[] q, int qOff, int kvHead, int from, int length, float scale, float[] probs, float[] out,
                int outOff) {
            return kernels.attend(q, qOff, (float[]) keys, (float[]) values, rowStride, from * rowStride + kvHead * headSize, length, headSize,
                    scale, probs, out, outOff);
        }

        /** One block of split-K decode attention over rows [from, to), every head at once: see {@link Kernels#attendBlock}. */
        void attendBlock(Kernels kernels, float[] q, int qOff, int from, int to, float scale, AttentionPartials partials, int block) {
            kernels.attendBlock(q, qOff, (float[]) keys, (float[]) values, rowStride, rowStride / headSize, scale, from, to, partials, block);
        }

        /** Causal attention of query rows [rowFrom, rowTo) for the query heads of KV head kvHead: the tiled kernel. */
        void attendCausal(Kernels kernels, float[] q, int rowFrom, int rowTo, int firstSlot, int[] windowStart, int kvHead,
                int numHeads, float scale, float[] out) {
            kernels.attendCausal(q, rowFrom, rowTo, firstSlot, windowStart, (float[]) keys, (float[]) values, rowStride, kvHead,
                    numHeads, rowStride / headSize, headSize, scale, out);
        }
    }

    static final class Bf16Rows extends Dense {
        Bf16Rows(int rowStride, int headSize, int capacity) {
            super(rowStride, headSize, capacity);
        }

        @Override
        Object allocate(int length) {
            return new short[length];
        }

        @Override
        KvPrecision precision() {
            return KvPrecision.BF16;
        }

        @Override
        int bytesPerRow() {
            return 2 * rowStride * Short.BYTES;
        }

        @Override
        void write(int row, float[] k, float[] v, int srcRow, int rows) {
            Bf16.encode(k, srcRow * rowStride, (short[]) keys, row * rowStride, rows * rowStride);
            Bf16.encode(v, srcRow * rowStride, (short[]) values, row * rowStride, rows * rowStride);
        }

        @Override
        float[] keys(int rows) {
            return decode((short[]) keys, rows);
        }

        @Override
        float[] values(int rows) {
            return decode((short[]) values, rows);
        }

        private float[] decode(short[] src, int rows) {
            float[] out = new float[rows * rowStride];
            Bf16.decode(src, 0, out, 0, out.length);
            return out;
        }

        @Override
        float attend(Kernels kernels, float[] q, int qOff, int kvHead, int from, int length, float scale, float[] probs, float[] out,
                int outOff) {
            return kernels.attendBf16(q, qOff, (short[]) keys, (short[]) values, rowStride, from * rowStride + kvHead * headSize, length, headSize,
                    scale, probs, out, outOff);
        }
    }

    /**
     * Q8 codes with one scale per KV head of a row (the cold tier's format: see {@link ColdTier} for why per head).
     * Quantization uses the preferred kernels; the SIMD and scalar quantizers give identical codes.
     */
    static final class Q8 extends Dense {
        private final int kvHeads;
        private float[] keyScales, valueScales;
        private final Kernels kernels = Kernels.preferred();

        Q8(int rowStride, int headSize, int capacity) {
            super(rowStride, headSize, capacity);
            this.kvHeads = rowStride / headSize;
            keyScales = new float[capacity * kvHeads];
            valueScales = new float[capacity * kvHeads];
        }

        @Override
        Object allocate(int length) {
            return new byte[length];
        }

        @Override
        KvPrecision precision() {
            return KvPrecision.Q8;
        }

        @Override
        int bytesPerRow() {
            return 2 * (rowStride + kvHeads * Float.BYTES);
        }

        @Override
        void write(int row, float[] k, float[] v, int srcRow, int rows) {
            kernels.quantizeQ8(k, srcRow * rowStride, rows * kvHeads, headSize, (byte[]) keys, row * rowStride, keyScales, row * kvHeads);
            kernels.quantizeQ8(v, srcRow * rowStride, rows * kvHeads, headSize, (byte[]) values, row * rowStride, valueScales, row * kvHeads);
        }

        @Override
        void copyRow(KvRows src, int from, int to) {
            super.copyRow(src, from, to);
            Q8 s = (Q8) src;
            System.arraycopy(s.keyScales, from * kvHeads, keyScales, to * kvHeads, kvHeads);
            System.arraycopy(s.valueScales, from * kvHeads, valueScales, to * kvHeads, kvHeads);
        }

        @Override
        float[] keys(int rows) {
            return decode((byte[]) keys, keyScales, rows);
        }

        @Override
        float[] values(int rows) {
            return decode((byte[]) values, valueScales, rows);
        }

        private float[] decode(byte[] codes, float[] scales, int rows) {
            float[] out = new float[rows * rowStride];
            kernels.dequantizeQ8(codes, 0, scales, 0, rows * kvHeads, headSize, out, 0);
            return out;
        }

        @Override
        void resize(int rows) {
            super.resize(rows);
            keyScales = Arrays.copyOf(keyScales, rows * kvHeads);
            valueScales = Arrays.copyOf(valueScales, rows * kvHeads);
        }

        @Override
        float attend(Kernels kernels, float[] q, int qOff, int kvHead, int from, int length, float scale, float[] probs, float[] out,
                int outOff) {
            return kernels.attendQ8(q, qOff, (byte[]) keys, keyScales, (byte[]) values, valueScales, rowStride, from * rowStride + kvHead * headSize,
                    kvHeads, from * kvHeads + kvHead, length, headSize, scale, probs, out, outOff);
        }
    }
}
