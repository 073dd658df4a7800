package io.github.chunkkv.bench;

import com.github.tjake.jlama.tensor.FloatBufferTensor;
import io.github.chunkkv.jlama.BatchedMatmul;
import io.github.chunkkv.simd.Kernels;
import java.util.SplittableRandom;

/**
 * This machine's matrix-product rate as the bench states it: ChunkKV's own GEMM ({@link BatchedMatmul}, F32) on the
 * bench model's largest prefill product, 2048 rows x 768 x 2048, best of a few runs after a warm-up, on every Jlama
 * thread. It is the yardstick that prefill's achieved GFLOP/s is read against.
 */
final class GemmRate {
    static final int ROWS = 2048, K = 768, N = 2048;
    private static final int WARMUP = 3, RUNS = 5;

    private GemmRate() {}

    /** Measures now; GFLOP/s of the fastest run. */
    static double measureGflops() {
        SplittableRandom rnd = new SplittableRandom(2048);
        float[] a = new float[ROWS * K];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextDouble(-1, 1);
        FloatBufferTensor w = new FloatBufferTensor(N, K);
        for (int j = 0; j < N; j++) {
            for (int i = 0; i < K; i++) w.set((float) rnd.nextDouble(-0.05, 0.05), j, i);
        }
        BatchedMatmul matmul = new BatchedMatmul(Kernels.preferred());
        long best = Long.MAX_VALUE;
        for (int run = 0; run < WARMUP + RUNS; run++) {
            long t = System.nanoTime();
            matmul.multiply(a, ROWS, w);
            if (run >= WARMUP) best = Math.min(best, System.nanoTime() - t);
        }
        return 2.0 * ROWS * K * N / best;
    }
}
