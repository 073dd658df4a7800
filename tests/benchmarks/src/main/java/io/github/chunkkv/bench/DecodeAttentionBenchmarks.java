package io.github.chunkkv.bench;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.TensorCache;
import com.github.tjake.jlama.tensor.TensorShape;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import io.github.chunkkv.simd.AttentionPartials;
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
 * One decode step's attention in one layer, one query row of 12 heads of 64 over an n-slot F32 cache, parallel on
 * Jlama's worker threads as production runs it: ChunkKV's split-K kernel ({@link Kernels#attendBlock} over blocks of
 * 256 slots, merged), the per-row kernel it replaced ({@link Kernels#attend} per query head, parallel over heads), and
 * stock Jlama's attention (per head: {@code batchDotProduct}, {@code scale}, {@code VectorMath.softMax}, {@code saxpy}
 * over its cache tensors). {@code kvHeads} 4 is the bench model's GQA shape, 12 plain multi-head attention. Each call
 * takes the next of enough cache copies to fill {@link #WORKING_SET_BYTES}, so keys and values come from memory as in a
 * decode step (which reads every layer's cache once), not from cache. Cache bytes per call: n x kvHeads x 64 x 2 x 4;
 * GB/s = that / time. Run: {@code ./chunkkv jmh DecodeAttentionBenchmarks}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1) // a call takes under 2 ms: 1 s iterations hold hundreds, and more of them bound the noise
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class DecodeAttentionBenchmarks {
    private static final int HEADS = 12, HEAD_SIZE = 64, BLOCK_SLOTS = 256;
    /** Larger than this machine's last-level cache, as a model's caches together are. */
    private static final long WORKING_SET_BYTES = 128L << 20;

    @Param({"2048", "4096"})
    public int n;

    @Param({"4", "12"})
    public int kvHeads;

    private final Kernels kernels = Kernels.preferred();
    private final float scale = (float) (1 / Math.sqrt(HEAD_SIZE));
    private int rowStride, group, next;
    private float[] query, out, logNormalisers;
    private float[][] keys, values;
    private FloatBufferTensor[] stockKeys, stockValues;
    private FloatBufferTensor stockQuery, stockOut;
    private AttentionPartials partials;

    @Setup
    public void setup() {
        rowStride = kvHeads * HEAD_SIZE;
        group = HEADS / kvHeads;
        SplittableRandom rnd = new SplittableRandom(1);
        query = random(rnd, HEADS * HEAD_SIZE);
        out = new float[HEADS * HEAD_SIZE];
        logNormalisers = new float[HEADS];
        int copies = (int) Math.ceilDiv(WORKING_SET_BYTES, 2L * n * rowStride * Float.BYTES);
        keys = new float[copies][];
        values = new float[copies][];
        stockKeys = new FloatBufferTensor[copies];
        stockValues = new FloatBufferTensor[copies];
        for (int c = 0; c < copies; c++) {
            keys[c] = random(rnd, n * rowStride);
            values[c] = random(rnd, n * rowStride);
            stockKeys[c] = tensor(keys[c], n, rowStride);
            stockValues[c] = tensor(values[c], n, rowStride);
        }
        stockQuery = tensor(query, 1, HEADS * HEAD_SIZE);
        stockOut = new FloatBufferTensor(1, HEADS * HEAD_SIZE);
        partials = new AttentionPartials(HEADS, HEAD_SIZE);
    }

    private static float[] random(SplittableRandom rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        return x;
    }

    private static FloatBufferTensor tensor(float[] x, int rows, int columns) {
        FloatBufferTensor t = new FloatBufferTensor(rows, columns);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < columns; i++) t.set(x[r * columns + i], r, i);
        }
        return t;
    }

    private int nextCopy() {
        next = next + 1 == keys.length ? 0 : next + 1;
        return next;
    }

    @Benchmark
    public float[] splitK() {
        int c = nextCopy(), blocks = Math.ceilDiv(n, BLOCK_SLOTS);
        partials.reserve(blocks, BLOCK_SLOTS);
        VectorMath.pfor(0, blocks, b -> kernels.attendBlock(query, 0, keys[c], values[c], rowStride, kvHeads, scale, b * BLOCK_SLOTS,
                Math.min(n, (b + 1) * BLOCK_SLOTS), partials, b));
        partials.merge(out, 0, logNormalisers, 0);
        return out;
    }

    @Benchmark
    public float[] perHead() {
        int c = nextCopy();
        VectorMath.pfor(0, HEADS, h -> kernels.attend(query, h * HEAD_SIZE, keys[c], values[c], rowStride, h / group * HEAD_SIZE, n,
                HEAD_SIZE, scale, new float[n], out, h * HEAD_SIZE));
        return out;
    }

    @Benchmark
    public FloatBufferTensor jlama() {
        int c = nextCopy();
        var ops = TensorOperationsProvider.get();
        VectorMath.pfor(0, HEADS, h -> {
            int kvOffset = h / group * HEAD_SIZE, qOffset = h * HEAD_SIZE;
            try (AbstractTensor attn = TensorCache.instance.get(DType.F32, TensorShape.of(1, n))) { // as stock's makeDenseTensor
                ops.batchDotProduct(attn, stockQuery, stockKeys[c], qOffset, kvOffset, HEAD_SIZE, 0, 0, n);
                ops.scale(scale, attn, 0, n);
                VectorMath.softMax(attn, 0, n);
                ops.saxpy(attn, stockValues[c], stockOut, kvOffset, qOffset, HEAD_SIZE, 0, 0, n);
            }
        });
        return stockOut;
    }
}
