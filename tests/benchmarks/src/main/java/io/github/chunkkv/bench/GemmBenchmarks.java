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
 * Prefill's matrix products on the bench model's shapes, a 2048-row batch of dim-768 activations times an n x 768
 * weight matrix (n = 768: Q/O projections; n = 2048: the MLP's gate and up), for each weight type: ours
 * ({@link BatchedMatmul}) against Jlama's batch path as its blocks call it ({@code dotProductChunk} over
 * {@code VectorMath.pchunk}), with activations in the type stock Jlama multiplies them in (F32; BF16 for BF16
 * weights). Work is 2 * 2048 * 768 * n flops: 2.42 GFLOP at n = 768, 6.44 GFLOP at n = 2048; GFLOP/s = that / time.
 * Run: {@code ./chunkkv jmh GemmBenchmarks}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBenchmarks {
    private static final int ROWS = 2048, K = 768;

    @Param({"F32", "BF16", "Q4"})
    public DType weights;

    @Param({"768", "2048"})
    public int n;

    private final BatchedMatmul matmul = new BatchedMatmul(Kernels.preferred());
    private float[] a;
    private AbstractTensor activations, weightTensor, result;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(1);
        a = new float[ROWS * K];
        FloatBufferTensor at = new FloatBufferTensor(ROWS, K);
        for (int r = 0; r < ROWS; r++) {
            for (int i = 0; i < K; i++) at.set(a[r * K + i] = (float) rnd.nextDouble(-1, 1), r, i);
        }
        FloatBufferTensor w = StockTensors.randomWeights(rnd, n, K);
        weightTensor = StockTensors.weights(weights, w);
        activations = StockTensors.activations(weights, at);
        result = StockTensors.result(weights, ROWS, n);
    }

    @Benchmark
    public float[] chunkKv() {
        return matmul.multiply(a, ROWS, weightTensor);
    }

    @Benchmark
    public AbstractTensor jlama() {
        var ops = TensorOperationsProvider.get();
        VectorMath.pchunk(0, n, (start, len) -> ops.dotProductChunk(result, activations, weightTensor, 0, K, start, len));
        return result;
    }
}
