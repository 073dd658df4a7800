package io.github.chunkkv.jlama;

import com.github.tjake.jlama.tensor.AbstractTensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies between Jlama's F32 tensors and float arrays through the Vector API, so that this library needs no
 * java.lang.foreign (a preview API on JDK 21).
 */
final class TensorArrays {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private TensorArrays() {}

    /** dst[r * cols + j] = t[r, j] for the first {@code rows} rows. */
    @SuppressWarnings("unchecked")
    static void toArray(AbstractTensor t, int rows, int cols, float[] dst) {
        int vectorEnd = SPECIES.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int j = 0;
            for (; j < vectorEnd; j += SPECIES.length()) {
                ((FloatVector) t.getVector(SPECIES, r, j)).intoArray(dst, r * cols + j);
            }
            for (; j < cols; j++) dst[r * cols + j] = t.get(r, j);
        }
    }

    /** t[r, j] = src[r * cols + j] for the first {@code rows} rows. */
    @SuppressWarnings("unchecked")
    static void fromArray(float[] src, int rows, int cols, AbstractTensor t) {
        int vectorEnd = SPECIES.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int j = 0;
            for (; j < vectorEnd; j += SPECIES.length()) {
                t.intoTensor(FloatVector.fromArray(SPECIES, src, r * cols + j), r, j);
            }
            for (; j < cols; j++) t.set(src[r * cols + j], r, j);
        }
    }
}
