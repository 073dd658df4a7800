package io.github.chunkkv.jlama;

import com.github.tjake.jlama.safetensors.DType;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The numeric types a Jlama model runs with: the weights as stored, the type they were quantized to on load (if
 * any), the working memory type (activations, and stock Jlama's KV cache) and the working quantized type (what
 * activations are quantized to before a matrix product with quantized weights).
 *
 * <p>Jlama users load every folder with working memory F32 and working quantized type I8 (the defaults of Jlama's
 * command line, {@link #JLAMA_WORKING_MEMORY} and {@link #JLAMA_WORKING_QUANTIZED}); Jlama then replaces I8 with F32
 * for F32 weights and with BF16 for BF16 weights, so Q4 weights run Q4 × I8 products and the others run unquantized.
 *
 * @param weights the weights' type as stored in the model folder (F16 for float16 checkpoints, which Jlama reports as
 *     F32, the type it converts them to while loading)
 * @param quantizedOnLoad the type the weights were quantized to while loading; empty when they were not
 * @param workingMemory the type of activations and of stock Jlama's KV cache
 * @param workingQuantized the type activations are quantized to before a product with quantized weights
 */
public record WorkingTypes(DType weights, Optional<DType> quantizedOnLoad, DType workingMemory, DType workingQuantized) {
    /** Jlama's default working memory type (its command line's): F32. */
    public static final DType JLAMA_WORKING_MEMORY = DType.F32;
    /**
     * Jlama's default working quantized type (its command line's): I8, which Jlama itself replaces for F32 and BF16 weights.
     */
    public static final DType JLAMA_WORKING_QUANTIZED = DType.I8;

    /** Working memory types stock Jlama 0.8.4 runs a decoder with. */
    public static final Set<DType> WORKING_MEMORY = EnumSet.of(DType.F32, DType.BF16);

    private static final String WORKS = "combinations that work: weights F32, F16, BF16 or Q4 loaded with "
            + "ModelSupport.loadModel(dir, DType.F32, DType.I8) (Jlama's defaults), and BF16 weights with working memory DType.BF16";

    /** Checks that no component is null (a weight type that was not quantized on load is an empty {@code Optional}). */
    public WorkingTypes {
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(quantizedOnLoad, "quantizedOnLoad");
        Objects.requireNonNull(workingMemory, "workingMemory");
        Objects.requireNonNull(workingQuantized, "workingQuantized");
    }

    /** The type the weights are multiplied in: the load-time quantization if any, else as stored. */
    public DType effectiveWeights() {
        return quantizedOnLoad.orElse(weights);
    }

    /** Throws if stock Jlama 0.8.4 cannot run this combination, naming combinations that work. */
    void checkRunnable() {
        checkWorkingMemory(workingMemory);
        if (effectiveWeights() == DType.I8) {
            throw new UnsupportedOperationException("stock Jlama 0.8.4 cannot run I8 weights"
                    + (quantizedOnLoad.isPresent() ? " (quantized on load)" : "") + ": its matrix products have no I8-weight kernel; " + WORKS);
        }
        if (effectiveWeights() == DType.Q4 && workingMemory != DType.F32) {
            throw new UnsupportedOperationException("stock Jlama 0.8.4 cannot run Q4 weights with working memory " + workingMemory
                    + ": it has no Q4 kernel for that activation type; " + WORKS);
        }
        // Measured: its logits then miss a float64 reference by about as much as they are large, not by BF16 rounding.
        if (workingMemory == DType.BF16 && effectiveWeights() != DType.BF16) {
            throw new UnsupportedOperationException("stock Jlama 0.8.4 computes wrong logits for " + effectiveWeights()
                    + " weights with working memory BF16, so there is nothing to reproduce; " + WORKS);
        }
    }

    /** Throws if stock Jlama 0.8.4 has no decoder working memory of this type. */
    public static void checkWorkingMemory(DType workingMemory) {
        if (!WORKING_MEMORY.contains(workingMemory)) {
            throw new UnsupportedOperationException("working memory type must be one of " + WORKING_MEMORY + ", got " + workingMemory + "; " + WORKS);
        }
    }

    @Override
    public String toString() {
        return "weights " + weights + quantizedOnLoad.map(q -> " (quantized on load to " + q + ")").orElse("") + ", working memory "
                + workingMemory + ", working quantized " + workingQuantized;
    }
}
