package io.github.chunkkv.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.convert.RandomLlamaWriter;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A context whose FullKV cache does not fit in the JVM's heap completes with a bounded-memory prefill ({@code segment}):
 * a JVM started with {@code -Xmx} below the full cache prefills the context in segments, decodes, and gets the logits
 * this (large-heap) JVM gets for the same run; the same JVM with the full cache runs out of memory. The model has many
 * layers and a small width, so its cache per token is large and its weights (memory-mapped, off the heap) small.
 *
 * <p>The policy is StreamingLLM, whose selection depends on positions only: a score-based policy may break a near-tie
 * between two rows differently in two JVMs (compiled and interpreted Vector API reductions add in different orders),
 * and one flipped row moves the logits of a random-weight model far more than the tolerance; the masked-reference
 * tests check score-based policies with segments.
 *
 * <p>It takes minutes, so the default suite skips it: {@code -Pbeyond-heap} runs 32,768 tokens in a 256 MiB heap (full
 * cache 1 GiB); {@code -Dchunkkv.beyondheap.tokens=N -Dchunkkv.beyondheap.heap-mib=M} any other size.
 */
class BeyondHeapPrefillTest {
    private static final int TOKENS = Integer.getInteger("chunkkv.beyondheap.tokens", 0);
    private static final int HEAP_MIB = Integer.getInteger("chunkkv.beyondheap.heap-mib", 256);
    private static final int DECODE_STEPS = 4;
    /** 32 layers of 2 KV heads × 64: 32 KiB of float32 K+V per token, 6 MB of weights. */
    private static final RandomLlamaWriter.Shape SHAPE = new RandomLlamaWriter.Shape(32, 128, 2, 2, 256, 256, Math.max(2, TOKENS + DECODE_STEPS + 8));
    private static final String SEGMENTED = "streamingllm:budget=256,segment=256";

    @TempDir
    Path dir;

    @Test
    void aContextWhoseFullCacheExceedsTheHeapCompletesInSegments() throws Exception {
        assumeTrue(TOKENS > 0, "runs with -Pbeyond-heap or -Dchunkkv.beyondheap.tokens=N");
        long fullKvBytes = 2L * SHAPE.layers() * SHAPE.kvDim() * Float.BYTES * (TOKENS + DECODE_STEPS);
        long heapBytes = HEAP_MIB * 1024L * 1024L;
        assertTrue(fullKvBytes > heapBytes, "the full cache (" + fullKvBytes + " bytes) must exceed the heap (" + heapBytes + ")");
        Path model = RandomLlamaWriter.write(SHAPE, dir.resolve("model"), 32);

        Run small = runInJvm(model, SEGMENTED, "segmented");
        assertEquals(0, small.exitCode(), "the segmented run in " + HEAP_MIB + " MiB failed:\n" + small.log());
        String[] result = Files.readString(dir.resolve("segmented.out")).split(" ");
        assertEquals(TOKENS + DECODE_STEPS, Integer.parseInt(result[0]), "position after the prefill and the decode steps");
        long peakBytes = Long.parseLong(result[1]);
        long bound = 2L * SHAPE.layers() * SHAPE.kvDim() * Float.BYTES * (256 + 256);
        assertTrue(peakBytes <= bound, "peak hot cache " + peakBytes + " must stay within budget + segment rows (" + bound + ")");
        System.out.printf("beyond-heap tokens=%d heap_mib=%d full_kv_mib=%.1f peak_kv_mib=%.1f segmented_jvm_s=%s%n", TOKENS, HEAP_MIB,
                fullKvBytes / 1048576.0, peakBytes / 1048576.0, small.seconds());

        try (AbstractModel jlama = ChunkKvJlama.loadJlamaModel(model, dir.resolve("jlama"));
                ChunkKvModel chunkKv = ChunkKvJlama.wrap(jlama, ChunkKvConfig.parse(SEGMENTED))) {
            float[] expected = run(chunkKv).logits();
            float[] actual = parseFloats(result[2]);
            float worst = 0, scale = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                scale = Math.max(scale, Math.abs(expected[i]));
            }
            assertTrue(worst <= 1e-4f * Math.max(1, scale), "the small heap's logits equal this JVM's: max diff " + worst);
        }

        Run full = runInJvm(model, "full", "full");
        assertNotEquals(0, full.exitCode(), "the full cache must not fit in " + HEAP_MIB + " MiB");
        assertTrue(full.log().contains("OutOfMemoryError"), full.log());
        System.out.printf("beyond-heap full cache in %d MiB: %s after %s s%n", HEAP_MIB, "OutOfMemoryError", full.seconds());
    }

    private record Run(int exitCode, String log, String seconds) {}

    private record Result(int position, long peakKvBytes, float[] logits) {}

    private Run runInJvm(Path model, String spec, String name) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        long start = System.nanoTime();
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx" + HEAP_MIB + "m", "-XX:+ExitOnOutOfMemoryError", "-Dchunkkv.beyondheap.tokens=" + TOKENS, "-cp", System.getProperty("java.class.path"),
                BeyondHeapPrefillTest.class.getName(), model.toString(), spec, dir.resolve(name + ".out").toString(),
                dir.resolve("jlama-" + name).toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the " + name + " JVM did not finish in 30 minutes:\n" + Files.readString(log));
        }
        return new Run(p.exitValue(), Files.readString(log), String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));
    }

    /** The forked JVM. Args: model folder, policy spec, output file, Jlama working folder. */
    public static void main(String[] args) throws IOException {
        try (AbstractModel jlama = ChunkKvJlama.loadJlamaModel(Path.of(args[0]), Path.of(args[3]));
                ChunkKvModel model = ChunkKvJlama.wrap(jlama, ChunkKvConfig.parse(args[1]))) {
            Result r = run(model);
            String logits = IntStream.range(0, r.logits().length).mapToObj(i -> Float.toString(r.logits()[i])).collect(Collectors.joining(","));
            Files.writeString(Path.of(args[2]), r.position() + " " + r.peakKvBytes() + " " + logits);
        }
    }

    /** Prefills {@link #TOKENS} seeded random tokens and decodes greedily. */
    private static Result run(ChunkKvModel model) {
        int vocab = model.getConfig().vocabularySize;
        int[] prompt = new SplittableRandom(TOKENS).ints(TOKENS, 3, vocab).toArray();
        KvSession s = model.openSession();
        float[] logits = s.prefill(prompt);
        long peak = s.lastStats().kvBytesBefore();
        for (int step = 0; step < DECODE_STEPS; step++) logits = s.decode(prompt[step]); // fixed tokens: a near-tie cannot fork the runs
        return new Result(s.position(), peak, logits);
    }

    private static float[] parseFloats(String csv) {
        String[] parts = csv.split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = Float.parseFloat(parts[i]);
        return out;
    }
}
