package io.github.chunkkv.bench;

import io.github.chunkkv.simd.Kernels;
import io.github.chunkkv.simd.ScalarKernels;
import io.github.chunkkv.simd.VectorKernels;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Scalar twin vs SIMD for the kernels on the compression, prefill and decode paths, at a Llama-like shape
 * (8 query heads, 4 KV heads, head size 64, 32-row observation window, 64-row prefill batch).
 * Run: {@code java --add-modules jdk.incubator.vector -cp <classpath> org.openjdk.jmh.Main KernelBenchmarks}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class KernelBenchmarks {
    private static final int HEADS = 8, KV_HEADS = 4, HEAD_SIZE = 64, WINDOW = 32, POOL = 5;
    /** The prefill benchmarks attend the last PREFILL_ROWS rows of an n-token prompt, causally. */
    private static final int PREFILL_ROWS = 64;

    @Param({"scalar", "simd"})
    public String impl;

    @Param({"1024", "4096"})
    public int n;

    private Kernels kernels;
    private float[] queries, keys, values, columnSums, scores, pooled, probs, out, prefillQueries, prefillOut;
    private final int[] noWindow = new int[PREFILL_ROWS];
    private final float scale = (float) (1 / Math.sqrt(HEAD_SIZE));

    @Setup
    public void setup() {
        kernels = "simd".equals(impl) ? VectorKernels.INSTANCE : ScalarKernels.INSTANCE;
        SplittableRandom rnd = new SplittableRandom(1);
        queries = random(rnd, WINDOW * HEADS * HEAD_SIZE);
        keys = random(rnd, n * KV_HEADS * HEAD_SIZE);
        values = random(rnd, n * KV_HEADS * HEAD_SIZE);
        columnSums = new float[HEADS * n];
        scores = random(rnd, n);
        pooled = new float[n];
        probs = new float[n];
        out = new float[HEAD_SIZE];
        prefillQueries = random(rnd, PREFILL_ROWS * HEADS * HEAD_SIZE);
        prefillOut = new float[PREFILL_ROWS * HEADS * HEAD_SIZE];
    }

    private static float[] random(SplittableRandom rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        return x;
    }

    @Benchmark
    public float[] windowColumnSums() {
        kernels.windowColumnSums(queries, WINDOW, n - WINDOW, keys, KV_HEADS * HEAD_SIZE, n, HEADS, KV_HEADS, HEAD_SIZE, scale, columnSums);
        return columnSums;
    }

    @Benchmark
    public float[] attend() {
        kernels.attend(queries, 0, keys, values, KV_HEADS * HEAD_SIZE, 0, n, HEAD_SIZE, scale, probs, out, 0);
        return out;
    }

    @Benchmark
    public float dot() {
        return kernels.dot(keys, 0, values, 0, n);
    }

    @Benchmark
    public float[] avgPool() {
        kernels.avgPool(scores, 0, n, POOL, pooled, 0);
        return pooled;
    }

    @Benchmark
    public int[] topK() {
        return kernels.topK(scores, n, n / 10);
    }

    /**
     * The prefill batch with the per-row kernel, one {@link Kernels#attend} per row and query head (the path prefill
     * took before the tiled kernel). Work: 4 * HEAD_SIZE flops (q·k and p·v) per visible slot, row and head, i.e.
     * 8 * 256 * (64 n - 2016) flops: 130.1 M at n = 1024, 532.7 M at n = 4096.
     */
    @Benchmark
    public float[] prefillPerRow() {
        int firstSlot = n - PREFILL_ROWS, group = HEADS / KV_HEADS;
        for (int r = 0; r < PREFILL_ROWS; r++) {
            for (int h = 0; h < HEADS; h++) {
                int off = (r * HEADS + h) * HEAD_SIZE;
                kernels.attend(prefillQueries, off, keys, values, KV_HEADS * HEAD_SIZE, h / group * HEAD_SIZE, firstSlot + r + 1,
                        HEAD_SIZE, scale, probs, prefillOut, off);
            }
        }
        return prefillOut;
    }

    /** The same prefill batch and work with {@link Kernels#attendCausal} (tiled in the SIMD kernels). */
    @Benchmark
    public float[] prefillTiled() {
        for (int g = 0; g < KV_HEADS; g++) {
            kernels.attendCausal(prefillQueries, 0, PREFILL_ROWS, n - PREFILL_ROWS, noWindow, keys, values, KV_HEADS * HEAD_SIZE, g,
                    HEADS, KV_HEADS, HEAD_SIZE, scale, prefillOut);
        }
        return prefillOut;
    }
}
