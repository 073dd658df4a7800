package io.github.chunkkv.jlama;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import io.github.chunkkv.simd.Kernels;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Prefill's matrix products, a batch of activation rows times one of Jlama's weight matrices (one row per output
 * feature), on the register-blocked {@link Kernels#matmulTransposed}, for F32, BF16 and Q4 weights; and decoding's
 * (fewer than {@link #MIN_ROWS} rows) for Q4 weights times F32 activations, on the matrix-vector {@link Kernels#gemvQ4}.
 *
 * <p>The work splits into tasks of (a panel of weight rows) x (a block of activation rows), run in parallel on
 * Jlama's pool, so both long prompts and wide matrices fill every core. A task first unpacks its panel to float32
 * (BF16 widened, Q4 dequantized) into a per-thread scratch sized to stay in L2, then reuses it for every row of its
 * block. The inner dimension is not split: each output sums all of it in one lane-wise accumulator, as Jlama's own
 * F32 kernel does, so with F32 weights the products agree with stock Jlama's up to the rounding of the final lane
 * reduction (whose order the JIT chooses).
 */
public final class BatchedMatmul {
    /** Weight types this class multiplies; others stay on Jlama's kernels. */
    public static final Set<DType> WEIGHTS = EnumSet.of(DType.F32, DType.BF16, DType.Q4);
    /**
     * Activation types this class reads. Not I8: Jlama multiplies I8-quantized activations by Q4 weights in integers,
     * which a float32 product would not reproduce, so that combination stays on Jlama's kernels.
     */
    public static final Set<DType> ACTIVATIONS = EnumSet.of(DType.F32, DType.BF16);
    /**
     * Fewer rows do not run the GEMM: unpacking a panel costs about as much as multiplying a few rows by it, and one row
     * (decoding) is a matrix-vector product bound by reading the weights once. Jlama's F32 and BF16 kernels do that at
     * memory speed, so those stay there; its Q4 x F32 kernel is compute-bound, so Q4 weights with F32 activations go
     * through {@link Kernels#gemvQ4} instead. Q4 x I8 stays on Jlama's kernels for the reason given at
     * {@link #ACTIVATIONS}.
     */
    public static final int MIN_ROWS = 16;
    /** Weight rows the matrix-vector path copies at a time: at dim 768, 24 KiB of codes, which stay in L1 or L2. */
    private static final int GEMV_PANEL_ROWS = 64;
    /** Budget of one unpacked weight panel: half of a 1 MiB L2, leaving room for the activation block. */
    private static final int PANEL_BYTES = 512 * 1024;
    private static final int MAX_PANEL_ROWS = 128;
    /** Activation rows per task: a panel is unpacked once per task, so this amortises it over 128 rows. */
    private static final int ROWS_PER_TASK = 128;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_PREFERRED;
    /** Float vector shapes, widest first, that read a row of Q4 block scales (24 at dim 768: 16 + 8). */
    private static final List<VectorSpecies<Float>> SCALE_READS = Stream.of(F, FloatVector.SPECIES_256, FloatVector.SPECIES_128)
            .filter(species -> species.length() <= F.length()).distinct().toList();
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final Kernels kernels;

    /** Products on {@code kernels} ({@link Kernels#preferred()} in production; the scalar twins for reference runs). */
    public BatchedMatmul(Kernels kernels) {
        this.kernels = kernels;
    }

    /** Whether {@code rows} rows of {@code activations} times {@code weights} run here rather than on Jlama's kernels. */
    public static boolean covers(DType activations, int rows, DType weights) {
        if (rows < MIN_ROWS) return activations == DType.F32 && weights == DType.Q4;
        return ACTIVATIONS.contains(activations) && WEIGHTS.contains(weights);
    }

    /**
     * Which kernels multiply a prefill batch of a model loaded with {@code types}: ChunkKV's GEMM, or Jlama's and why.
     * Projections take activations in the working quantized type; the MLP is covered when it is gated and unbiased
     * (Llama, Mistral, Qwen2), otherwise it stays on Jlama's kernels whatever the types.
     *
     * @return e.g. {@code "prefill matmuls: ChunkKV GEMM (F32 activations x Q4 weights)"}
     */
    public static String describePrefill(WorkingTypes types) {
        DType activations = types.workingQuantized(), weights = types.effectiveWeights();
        String product = activations + " activations x " + weights + " weights";
        if (covers(activations, MIN_ROWS, weights)) return "prefill matmuls: ChunkKV GEMM (" + product + ")";
        String why = ACTIVATIONS.contains(activations) ? "weight type not covered" : "Jlama multiplies them in integers";
        return "prefill matmuls: Jlama's kernels (" + product + ": " + why + ")";
    }

    /**
     * {@code out[r * n + j] = sum_i a[r * k + i] * weights[j, i]} for {@code r < rows} and {@code j < n}, where weights is n x k,
     * in parallel on Jlama's pool.
     *
     * @param a activation rows, row r at {@code r * k}
     * @param rows activation rows to multiply
     * @param weights an n x k Jlama tensor of one of {@link #WEIGHTS}
     * @return the rows x n products, row after row
     * @throws IllegalArgumentException before any work, if the weights' type is not one of {@link #WEIGHTS}, rows is
     *     negative or {@code a} holds fewer than rows x k values
     */
    public float[] multiply(float[] a, int rows, AbstractTensor weights) {
        DType type = weights.dType();
        if (!WEIGHTS.contains(type)) throw new IllegalArgumentException("weights must be one of " + WEIGHTS + ", got " + type);
        int n = weights.shape().dim(0), k = weights.shape().dim(1);
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        if (a.length < (long) rows * k) throw new IllegalArgumentException("a must hold rows * k = " + (long) rows * k + " values, got " + a.length);
        float[] out = new float[rows * n];
        if (rows < MIN_ROWS && type == DType.Q4) {
            multiplyQ4RowByRow(a, rows, (Q4ByteBufferTensor) weights, n, k, out);
            return out;
        }
        int panelRows = Math.clamp(PANEL_BYTES / (Float.BYTES * Math.max(1, k)) / 4 * 4, 4, MAX_PANEL_ROWS);
        int panels = Math.ceilDiv(n, panelRows), rowBlocks = Math.ceilDiv(rows, ROWS_PER_TASK);
        VectorMath.pfor(0, panels * rowBlocks, task -> {
            int j0 = task % panels * panelRows, j1 = Math.min(n, j0 + panelRows);
            int r0 = task / panels * ROWS_PER_TASK, r1 = Math.min(rows, r0 + ROWS_PER_TASK);
            float[] panel = SCRATCH.get().unpack(kernels, weights, j0, j1, k);
            kernels.matmulTransposed(a, r0 * k, r1 - r0, panel, 0, j1 - j0, k, out, r0 * n + j0, n);
        });
        return out;
    }

    /**
     * Decoding's path: each activation row times a panel of weight rows on {@link Kernels#gemvQ4}. The weight rows
     * split into one range per core of Jlama's pool (as its own decode does: a step's product is a few hundred
     * microseconds, so a task per panel would cost as much in scheduling); each range goes panel by panel, copying a
     * panel's codes and scales as they are (bytes, not floats), so the weights are read from memory once and expanded
     * only in registers.
     */
    private void multiplyQ4RowByRow(float[] a, int rows, Q4ByteBufferTensor weights, int n, int k, float[] out) {
        VectorMath.pchunk(0, n, (start, length) -> {
            Scratch scratch = SCRATCH.get();
            for (int j0 = start; j0 < start + length; j0 += GEMV_PANEL_ROWS) {
                int j1 = Math.min(start + length, j0 + GEMV_PANEL_ROWS);
                scratch.copyQ4(weights, j0, j1, k);
                for (int r = 0; r < rows; r++) kernels.gemvQ4(scratch.q4, 0, scratch.q4Scales, 0, j1 - j0, k, a, r * k, out, r * n + j0);
            }
        });
    }

    /** One thread's unpacking buffers, grown to the largest panel seen. */
    private static final class Scratch {
        private float[] panel = new float[0];
        private short[] bf16 = new short[0];
        private byte[] q4 = new byte[0];
        private float[] q4Scales = new float[0];

        /** Weight rows [from, to) as float32, row after row of k values. */
        float[] unpack(Kernels kernels, AbstractTensor weights, int from, int to, int k) {
            if (panel.length < (to - from) * k) panel = new float[(to - from) * k];
            if (weights.dType() == DType.Q4) {
                copyQ4((Q4ByteBufferTensor) weights, from, to, k);
                kernels.dequantizeQ4(q4, 0, q4Scales, 0, (to - from) * (k / Kernels.Q4_BLOCK), panel, 0);
                return panel;
            }
            for (int row = from; row < to; row++) {
                int off = (row - from) * k;
                switch (weights.dType()) {
                    case F32 -> f32Row(weights, row, k, off);
                    case BF16 -> bf16Row(kernels, weights, row, k, off);
                    default -> throw new IllegalStateException("unreachable: " + weights.dType());
                }
            }
            return panel;
        }

        @SuppressWarnings("unchecked")
        private void f32Row(AbstractTensor w, int row, int k, int off) {
            int i = 0;
            for (int bound = F.loopBound(k); i < bound; i += F.length()) ((FloatVector) w.getVector(F, row, i)).intoArray(panel, off + i);
            for (; i < k; i++) panel[off + i] = w.get(row, i);
        }

        @SuppressWarnings("unchecked")
        private void bf16Row(Kernels kernels, AbstractTensor w, int row, int k, int off) {
            int bound = S.loopBound(k);
            if (bf16.length < bound) bf16 = new short[bound];
            for (int i = 0; i < bound; i += S.length()) ((ShortVector) w.getVector(S, row, i)).intoArray(bf16, i);
            kernels.decodeBf16(bf16, 0, panel, off, bound);
            for (int i = bound; i < k; i++) panel[off + i] = w.get(row, i);
        }

        /**
         * Codes and block scales of weight rows [from, to), row after row, into {@link #q4} and {@link #q4Scales}.
         * Jlama's Q4 rows are whole blocks (it refuses other shapes). A dense tensor's rows lie one after another, so
         * their codes come in one bulk copy; a sparse one's row by row, in the widest byte vectors that fit, then
         * 16-byte blocks. Block scales come in the widest float vectors that fit (a decode step reads every row, so
         * per-element reads of the scale tensor would cost more than the product).
         */
        void copyQ4(Q4ByteBufferTensor w, int from, int to, int k) {
            int blocks = k / Kernels.Q4_BLOCK, bytes = k / 2;
            if (q4Scales.length < (to - from) * blocks) {
                q4Scales = new float[(to - from) * blocks];
                q4 = new byte[(to - from) * bytes];
            }
            boolean dense = !w.shape().isSparse();
            if (dense) {
                ByteBuffer codes = JlamaInstaller.q4Codes(w);
                codes.get(codes.position() + w.getMemorySegmentOffset(w.getOffset(from, 0)), q4, 0, (to - from) * bytes);
            }
            FloatBufferTensor scales = w.getBlockF();
            for (int row = from; row < to; row++) {
                if (!dense) copyQ4CodesOfRow(w, row, bytes, (row - from) * bytes);
                int scaleOff = (row - from) * blocks, i = 0;
                for (VectorSpecies<Float> species : SCALE_READS) {
                    for (; i + species.length() <= blocks; i += species.length()) scales.getVector(species, row, i).intoArray(q4Scales, scaleOff + i);
                }
                for (; i < blocks; i++) q4Scales[scaleOff + i] = scales.get(row, i);
            }
        }

        private void copyQ4CodesOfRow(Q4ByteBufferTensor w, int row, int bytes, int off) {
            int b = 0;
            for (int bound = BYTES.loopBound(bytes); b < bound; b += BYTES.length()) w.getVector(BYTES, row, 2 * b).intoArray(q4, off + b);
            for (; b < bytes; b += Kernels.Q4_BLOCK / 2) w.getVector(ByteVector.SPECIES_128, row, 2 * b).intoArray(q4, off + b);
        }
    }
}
