package io.github.chunkkv.jlama;

import io.github.chunkkv.config.KvPrecision;
import io.github.chunkkv.simd.Bf16;
import io.github.chunkkv.simd.Kernels;
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
     * {@link Kernels#attend}.
     */
    abstract void attend(Kernels kernels, float[] q, int qOff, int kvHead, int from, int length, float scale, float[] probs,
            float[] out, int outOff);

    /** Moves rows {@code slots[0..count)} (ascending) to rows 0..count, in place. */
    final void gather(int[] slots, int count) {
        for (int i = 0; i < count; i++) if (slots[i] != i) copyRow(this, slots[i], i);
    }

    static final class F32 extends KvRows {
        private float[] keys, values;

        F32(int rowStride, int headSize, int capacity) {
            super(rowStride, headSize, capacity);
            keys = new float[capacity * rowStride];
            values = new float[capacity * rowStride];
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
        void copyRow(KvRows src, int from, int to) {
            F32 s = (F32) src;
            System.arraycopy(s.keys, from * rowStride, keys, to * rowStride, rowStride);
            System.arraycopy(s.values, from * rowStride, values, to * rowStride, rowStride);
        }

        @Override
        float[] keys(int rows) {
            return keys;
        }

        @Override
        float[] values(int rows) {
            return values;
        }

        @Override
        void resize(int rows) {
            keys = Arrays.copyOf(keys, rows * rowStride);
            values = Arrays.copyOf(values, rows * rowStride);
            capacity = rows;
        }

        @Override
        void attend(Kernels kernels, float[] q, int qOff, int kvHead, int from, int length, float scale, float[] probs, float[] out,
                int outOff) {
            kernels.attend(q, qOff, keys, values, rowStride, from * rowStride + kvHead * headSize, length, headSize, scale, probs, out, outOff);
        }
    }

    static final class Bf16Rows extends KvRows {
        private short[] keys, values;

        Bf16Rows(int rowStride, int headSize, int capacity) {
            super(rowStride, headSize, capacity);
            keys = new short[capacity * rowStride];
            values = new short[capacity * rowStride];
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
            Bf16.encode(k, srcRow * rowStride, keys, row * rowStride, rows * rowStride);
            Bf16.encode(v, srcRow * rowStride, values, row * rowStride, rows * rowStride);
        }

        @Override
        void copyRow(KvRows src, int from, int to) {
            Bf16Rows s = (Bf16Rows) src;
            System.arraycopy(s.keys, from * rowStride, keys, to * rowStride, rowStride);
            System.arraycopy(s.values, from * rowStride, values, to * rowStride, rowStride);
        }

        @Override
        float[] keys(int rows) {
            return decode(keys, rows);
        }

        @Override
        float[] values(int rows) {
            return decode(values, rows);
        }

        private float[] decode(short[] src, int rows) {
            float[] out = new float[rows * rowStride];
            Bf16.decode(src, 0, out, 0, out.length);
            return out;
        }

        @Override
        void resize(int rows) {
            keys = Arrays.copyOf(keys, rows * rowStride);
            values = Arrays.copyOf(values, rows * rowStride);
            capacity = rows;
        }

        @Override
        void attend(Kernels kernels, float[] q, int qOff, int kvHead, int from, int length, float scale, float[] probs, float[] out,
                int outOff) {
            kernels.attendBf16(q, qOff, keys, values, rowStride, from * rowStride + kvHead * headSize, length, headSize, scale, probs, out,
                    outOff);
        }
    }

    /** Q8 with one scale per KV head of a row (the cold tier's format: see {@link ColdTier} for why per head). */
    static final class Q8 extends KvRows {
        private final int kvHeads;
        private byte[] keys, values;
        private float[] keyScales, valueScales;
        /** Quantization needs the kernels; any instance gives the same codes (they are tested bit-equal). */
        private final Kernels kernels = Kernels.preferred();

        Q8(int rowStride, int headSize, int capacity) {
            super(rowStride, headSize, capacity);
            this.kvHeads = rowStride / headSize;
            keys = new byte[capacity * rowStride];
            values = new byte[capacity * rowStride];
            keyScales = new float[capacity * kvHeads];
            valueScales = new float[capacity * kvHeads];
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
            kernels.quantizeQ8(k, srcRow * rowStride, rows * kvHeads, headSize, keys, row * rowStride, keyScales, row * kvHeads);
            kernels.quantizeQ8(v, srcRow * rowStride, rows * kvHeads, headSize, values, row * rowStride, valueScales, row * kvHeads);
        }

        @Override
        void copyRow(KvRows src, int from, int to) {
            Q8 s = (Q8) src;
            System.arraycopy(s.keys, from * rowStride, keys, to * rowStride, rowStride);
            System.arraycopy(s.values, from * rowStride, values, to * rowStride, rowStride);
            System.arraycopy(s.keyScales, from * kvHeads, keyScales, to * kvHeads, kvHeads);
            System.arraycopy(s.valueScales, from * kvHeads, valueScales, to * kvHeads, kvHeads);
        }

        @Override
        float[] keys(int rows) {
            float[] out = new float[rows * rowStride];
            kernels.dequantizeQ8(keys, 0, keyScales, 0, rows * kvHeads, headSize, out, 0);
            return out;
        }

        @Override
        float[] values(int rows) {
            float[] out = new float[rows * rowStride];
            kernels.dequantizeQ8(values, 0, valueScales, 0, rows * kvHeads, headSize, out, 0);
            return out;
        }

        @Override
        void resize(int rows) {
            keys = Arrays.copyOf(keys, rows * rowStride);
            values = Arrays.copyOf(values, rows * rowStride);
            keyScales = Arrays.copyOf(keyScales, rows * kvHeads);
            valueScales = Arrays.copyOf(valueScales, rows * kvHeads);
            capacity = rows;
        }

        @Override
        void attend(Kernels kernels, float[] q, int qOff, int kvHead, int from, int length, float scale, float[] probs, float[] out,
                int outOff) {
            kernels.attendQ8(q, qOff, keys, keyScales, values, valueScales, rowStride, from * rowStride + kvHead * headSize, kvHeads,
                    from * kvHeads + kvHead, length, headSize, scale, probs, out, outOff);
        }
    }
}
