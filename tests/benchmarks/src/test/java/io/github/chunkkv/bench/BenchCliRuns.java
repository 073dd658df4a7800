package io.github.chunkkv.bench;

import io.github.chunkkv.convert.RandomLlamaWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** {@code ./chunkkv bench} run in this JVM on a tiny random model, with what it prints captured. */
final class BenchCliRuns {
    /** 2 layers, dim 64, 4 query / 2 KV heads, context 160: fast enough for every bench mode in a unit test. */
    static final RandomLlamaWriter.Shape TINY = new RandomLlamaWriter.Shape(2, 64, 4, 2, 128, 256, 160);

    private BenchCliRuns() {}

    /** The exit status and both streams of one run. */
    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int status = BenchCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Writes {@link #TINY} into {@code dir}/model; returns the folder. */
    static Path writeTinyModel(Path dir) {
        return RandomLlamaWriter.write(TINY, dir.resolve("model"), 1);
    }
}
