package io.github.chunkkv.simd;

/**
 * bfloat16: the upper 16 bits of a float32 (8-bit exponent, 7-bit mantissa), as Jlama stores BF16 tensors. Encoding
 * rounds to nearest, ties to even; cache rows are finite, so NaN needs no special case.
 */
public final class Bf16 {
    private Bf16() {}

    /** The bfloat16 nearest to {@code x} (ties to even), as its 16 bits. */
    public static short encode(float x) {
        int bits = Float.floatToRawIntBits(x);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float32 {@code b} stands for, exactly (bfloat16 is a truncated float32). */
    public static float decode(short b) {
        return Float.intBitsToFloat(b << 16);
    }

    /**
     * Encodes {@code len} floats from {@code src[srcOff..]} into {@code dst[dstOff..]}, one {@link #encode(float)} each.
     */
    public static void encode(float[] src, int srcOff, short[] dst, int dstOff, int len) {
        for (int i = 0; i < len; i++) dst[dstOff + i] = encode(src[srcOff + i]);
    }

    /**
     * Decodes {@code len} values from {@code src[srcOff..]} into {@code dst[dstOff..]}, one {@link #decode(short)} each.
     */
    public static void decode(short[] src, int srcOff, float[] dst, int dstOff, int len) {
        for (int i = 0; i < len; i++) dst[dstOff + i] = decode(src[srcOff + i]);
    }
}
