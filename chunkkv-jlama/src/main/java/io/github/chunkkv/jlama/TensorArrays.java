package io.github.chunkkv.jlama;

import com.github.tjake.jlama.math.FloatConversions;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies between Jlama's working-memory tensors and float arrays: F32 tensors through the Vector API (so that this
 * library needs no java.lang.foreign, a preview API on JDK 21), others (BF16) element by element through the tensor's
 * own conversion, which rounds on the way in exactly as Jlama's kernels do.
 */
final class TensorArrays {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private TensorArrays() {}

    /** dst[r * cols + j] = t[r, j] for the first {@code rows} rows. */
    @SuppressWarnings("unchecked")
    static void toArray(AbstractTensor t, int rows, int cols, float[] dst) {
        int vectorEnd = t.dType() == DType.F32 ? SPECIES.loopBound(cols) : 0;
        for (int r = 0; r < rows; r++) {
            int j = 0;
            for (; j < vectorEnd; j += SPECIES.length()) {
                ((FloatVector) t.getVector(SPECIES, r, j)).intoArray(dst, r * cols + j);
            }
            for (; j < cols; j++) dst[r * cols + j] = t.get(r, j);
        }
    }

    /** t[r, j] = src[r * cols + j] for the first {@code rows} rows; returns {@code t}. */
    @SuppressWarnings("unchecked")
    static AbstractTensor fromArray(float[] src, int rows, int cols, AbstractTensor t) {
        int vectorEnd = t.dType() == DType.F32 ? SPECIES.loopBound(cols) : 0;
        for (int r = 0; r < rows; r++) {
            int j = 0;
            for (; j < vectorEnd; j += SPECIES.length()) {
                t.intoTensor(FloatVector.fromArray(SPECIES, src, r * cols + j), r, j);
            }
            for (; j < cols; j++) t.set(src[r * cols + j], r, j);
        }
        return t;
    }

    /**
     * {@code x} as storing it in a tensor of {@code type} rounds it (BF16: Jlama's own conversion; F32: unchanged), so
     * arithmetic on float arrays sees the values stock Jlama's working memory holds.
     */
    static float roundTo(DType type, float x) {
        return switch (type) {
            case F32 -> x;
            case BF16 -> FloatConversions.bFloat16ToFloat32(FloatConversions.float32ToBFloat16(x));
            default -> throw new IllegalArgumentException("type must be F32 or BF16, got " + type);
        };
    }
}
