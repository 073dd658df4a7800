package io.github.chunkkv.bench;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
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
 * Decoding's matrix-vector product on the bench model's Q4 shapes, one dim-768 F32 activation row times an n x 768 Q4
 * weight matrix (n = 768: Q/O projections; n = 2048: the MLP's gate and up): ours ({@link BatchedMatmul}, which runs
 * {@link Kernels#gemvQ4} below its GEMM threshold) against Jlama's ({@code dotProductChunk} over
 * {@code VectorMath.pchunk}, as its blocks call it for one row). Each call takes the next of enough copies of the
 * matrix to fill {@link #WORKING_SET_BYTES}, so weights come from memory as in a decode step, not from cache.
 * Weight bytes per call: 368,640 at n = 768 and 983,040 at n = 2048 (codes k / 2 plus a float scale per 32 values
 * and row); GB/s = that / time. Run: {@code ./chunkkv jmh GemvBenchmarks}.
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

    @Param({"768", "2048"})
    public int n;

    private final BatchedMatmul matmul = new BatchedMatmul(Kernels.preferred());
    private float[] x;
    private FloatBufferTensor activation, result;
    private Q4ByteBufferTensor[] copies;
    private int next;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(1);
        x = new float[K];
        activation = new FloatBufferTensor(1, K);
        for (int i = 0; i < K; i++) activation.set(x[i] = (float) rnd.nextDouble(-1, 1), 0, i);
        FloatBufferTensor w = new FloatBufferTensor(n, K);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < K; i++) w.set((float) rnd.nextDouble(-0.05, 0.05), j, i);
        }
        long bytes = (long) n * K / 2 + (long) n * (K / Kernels.Q4_BLOCK) * Float.BYTES;
        copies = new Q4ByteBufferTensor[(int) Math.ceilDiv(WORKING_SET_BYTES, bytes)];
        for (int c = 0; c < copies.length; c++) copies[c] = new Q4ByteBufferTensor(w);
        result = new FloatBufferTensor(1, n);
    }

    private Q4ByteBufferTensor nextWeights() {
        next = next + 1 == copies.length ? 0 : next + 1;
        return copies[next];
    }

    @Benchmark
    public float[] chunkKv() {
        return matmul.multiply(x, 1, nextWeights());
    }

    @Benchmark
    public FloatBufferTensor jlama() {
        Q4ByteBufferTensor weights = nextWeights();
        var ops = TensorOperationsProvider.get();
        VectorMath.pchunk(0, n, (start, len) -> ops.dotProductChunk(result, activation, weights, 0, K, start, len));
        return result;
    }
}
