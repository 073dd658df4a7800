package io.github.chunkkv.bench;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import io.github.chunkkv.jlama.BatchedMatmul;
import io.github.chunkkv.simd.Kernels;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding's matrix-vector product on the bench model's shapes, one dim-768 activation row times an n x 768 weight
 * matrix (n = 768: Q/O projections; n = 2048: the MLP's gate and up): ours ({@link BatchedMatmul}: for Q4 its
 * {@link Kernels#gemvQ4} path, for F32 and BF16 its GEMM, which decoding leaves to Jlama) against Jlama's
 * ({@code dotProductChunk} over {@code VectorMath.pchunk}, as its blocks call it for one row; activations in the type
 * stock multiplies them in, F32, or BF16 for BF16 weights). Each call takes the next of enough copies of the matrix to
 * fill {@link #WORKING_SET_BYTES}, so weights come from memory as in a decode step, not from cache. Weight bytes per
 * call: Q4 368,640 at n = 768 and 983,040 at n = 2048 (codes k / 2 plus a float scale per 32 values and row), BF16 2 and
 * F32 4 per weight; GB/s = that / time. Run: {@code ./chunkkv jmh GemvBenchmarks}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemvBenchmarks {
    private static final int K = 768;
    /** Larger than this machine's last-level cache, as a model's weights are. */
    private static final long WORKING_SET_BYTES = 128L << 20;

    @Param({"Q4", "F32", "BF16"})
    public DType weights;

    @Param({"768", "2048"})
    public int n;

    private final BatchedMatmul matmul = new BatchedMatmul(Kernels.preferred());
    private float[] x;
    private AbstractTensor activation, result;
    private AbstractTensor[] copies;
    private int next;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(1);
        x = new float[K];
        FloatBufferTensor a = new FloatBufferTensor(1, K);
        for (int i = 0; i < K; i++) a.set(x[i] = (float) rnd.nextDouble(-1, 1), 0, i);
        activation = StockTensors.activations(weights, a);
        FloatBufferTensor w = StockTensors.randomWeights(rnd, n, K);
        long bytes = switch (weights) {
            case Q4 -> (long) n * K / 2 + (long) n * (K / Kernels.Q4_BLOCK) * Float.BYTES;
            case BF16 -> (long) n * K * 2;
            case F32 -> (long) n * K * 4;
            default -> throw new IllegalArgumentException("weights must be Q4, F32 or BF16, got " + weights);
        };
        copies = new AbstractTensor[(int) Math.ceilDiv(WORKING_SET_BYTES, bytes)];
        for (int c = 0; c < copies.length; c++) copies[c] = StockTensors.weights(weights, w);
        result = StockTensors.result(weights, 1, n);
    }

    private AbstractTensor nextWeights() {
        next = next + 1 == copies.length ? 0 : next + 1;
        return copies[next];
    }

    @Benchmark
    public float[] chunkKv() {
        return matmul.multiply(x, 1, nextWeights());
    }

    @Benchmark
    public AbstractTensor jlama() {
        AbstractTensor w = nextWeights();
        var ops = TensorOperationsProvider.get();
        VectorMath.pchunk(0, n, (start, len) -> ops.dotProductChunk(result, activation, w, 0, K, start, len));
        return result;
    }
}
