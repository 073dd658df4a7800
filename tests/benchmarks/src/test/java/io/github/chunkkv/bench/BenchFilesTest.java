package io.github.chunkkv.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.convert.RandomLlamaWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark leaves no file behind, stock Jlama's {@code .page} files included, whether it ends or is stopped with
 * SIGTERM: each run is a child JVM with a temp directory of its own, which must be empty afterwards.
 */
class BenchFilesTest {
    @TempDir
    static Path dir;
    private static Path model;

    @BeforeAll
    static void writeModel() {
        model = RandomLlamaWriter.write(new RandomLlamaWriter.Shape(2, 64, 4, 2, 128, 256, 4200), dir.resolve("model"), 1);
    }

    private static Process bench(Path tmp, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
                BenchCli.class.getName(), "--model", model.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(tmp.resolveSibling(tmp.getFileName() + ".log").toFile())
                .start();
    }

    private static List<Path> filesUnder(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(p -> !p.equals(root)).toList();
        }
    }

    private static String log(Path tmp) throws IOException {
        return Files.readString(tmp.resolveSibling(tmp.getFileName() + ".log"));
    }

    @Test
    void aCompleteRunLeavesNoFiles() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp-complete"));
        Process p = bench(tmp, "--contexts", "64", "--policies", "full", "--decode-tokens", "2");
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bench did not finish");
        assertEquals(0, p.exitValue(), log(tmp));
        assertEquals(List.of(), filesUnder(tmp), log(tmp));
    }

    @Test
    void aRunStoppedWithSigtermLeavesNoFiles() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp-sigterm"));
        Process p = bench(tmp, "--contexts", "2048,4000", "--keep", "1.0,0.5,0.2,0.1", "--decode-tokens", "64");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (filesUnder(tmp).stream().noneMatch(f -> f.toString().endsWith(".page"))) {
                assertTrue(p.isAlive(), "bench ended before stock Jlama wrote a page file: " + log(tmp));
                assertTrue(System.nanoTime() < deadline, "no page file within 120 s: " + log(tmp));
                Thread.sleep(20);
            }
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bench did not stop on SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(List.of(), filesUnder(tmp), log(tmp));
    }

    @Test
    void tooManyDecodeStepsAreRefusedWithAPositiveLimit() {
        // 160 positions, 2 KV heads: 158 usable, 2 warm-up steps, at least 1 prompt token.
        Path small = RandomLlamaWriter.write(new RandomLlamaWriter.Shape(2, 64, 4, 2, 128, 256, 160), dir.resolve("small"), 1);
        var err = new ByteArrayOutputStream();
        int status = BenchCli.run(new String[] {"--model", small.toString(), "--contexts", "64", "--decode-tokens", "4096"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, status, message);
        assertTrue(message.contains("--decode-tokens must be at most 155 for this model"), message);
        assertFalse(message.matches("(?s).*most -\\d.*"), message);
    }
}
