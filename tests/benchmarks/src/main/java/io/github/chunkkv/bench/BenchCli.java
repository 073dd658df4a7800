package io.github.chunkkv.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import io.github.chunkkv.convert.RandomLlamaWriter;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.simd.Kernels;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./chunkkv bench}: prefill, compression and decode time of the ChunkKV path against stock Jlama on the same
 * model and prompt, measured in one run. Prints one {@code bench key=value ...} line per row as soon as it is measured,
 * then a table. Exit status 0 on success, 2 on bad arguments, 1 on any other failure.
 */
public final class BenchCli {
    /** Seed of the random-weight model's weights. */
    private static final long MODEL_SEED = 768;
    /** Extra positions of the random model beyond the longest row, so Jlama's RoPE table covers every head offset. */
    private static final int CONTEXT_SLACK = 64;

    private BenchCli() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("bench: " + e.getMessage());
            err.print(BenchOptions.USAGE);
            return 2;
        }
        if (options.help()) {
            out.print(BenchOptions.USAGE);
            return 0;
        }
        try {
            useThreads(options.threads());
            runBenchmark(options, out, err);
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("bench: " + e.getMessage());
            return 2;
        } catch (RuntimeException | IOException e) {
            err.println("bench: failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    private static void runBenchmark(BenchOptions options, PrintStream out, PrintStream err) throws IOException {
        try (ScratchDir scratch = ScratchDir.create("chunkkv-bench")) {
            Path modelDir = options.model().isPresent() ? checkedModelDir(options.model().get())
                    : writeRandomModel(options, scratch.path().resolve("model"), err);
            long weightBytes = DecodeWeightBytes.of(modelDir);
            AbstractModel model = ChunkKvJlama.loadJlamaModel(modelDir, scratch.jlamaWorkingDir());
            try (model; PrintWriter file = options.out().isPresent() ? openOut(options.out().get()) : null) {
                EndToEndBenchmark bench = new EndToEndBenchmark(model, weightBytes);
                checkContextsFit(options, bench);
                err.println("bench: " + describe(model, weightBytes));
                bench.warmUp(options, msg -> err.println("bench: " + msg));
                List<BenchRow> rows = bench.run(options, msg -> err.println("bench: " + msg), row -> {
                    out.println(row.line());
                    out.flush();
                    if (file != null) {
                        file.println(row.line());
                        file.flush();
                    }
                });
                out.println();
                out.print(BenchTable.format(rows));
            }
        }
    }

    private static Path checkedModelDir(Path dir) {
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalArgumentException("--model must be a Jlama model folder containing config.json, got " + dir);
        }
        return dir;
    }

    /** A realistic random model whose context covers the longest row plus the RoPE head offsets. */
    private static Path writeRandomModel(BenchOptions options, Path dir, PrintStream err) {
        int context = options.maxContext() + EndToEndBenchmark.positionsAfterPrompt(options.decodeTokens()) + CONTEXT_SLACK;
        RandomLlamaWriter.Shape shape = RandomLlamaWriter.Shape.realistic(context);
        err.println("bench: writing a random-weight model " + shape + " to " + dir);
        return RandomLlamaWriter.write(shape, dir, MODEL_SEED);
    }

    private static void checkContextsFit(BenchOptions options, EndToEndBenchmark bench) {
        int max = bench.maxContext(options.decodeTokens());
        if (max < 1) { // the decode steps alone do not fit: say so rather than "--contexts must be at most -2"
            int decodeMax = bench.maxContext(0) - 1;
            throw new IllegalArgumentException(decodeMax < 1
                    ? "this model's context is too short for a prompt and its decode steps"
                    : "--decode-tokens must be at most " + decodeMax + " for this model (a row needs its prompt and decode steps in the context), got "
                            + options.decodeTokens());
        }
        if (options.maxContext() > max) {
            throw new IllegalArgumentException("--contexts must be at most " + max + " for this model with --decode-tokens "
                    + options.decodeTokens() + " (its context length minus decode steps), got " + options.maxContext());
        }
    }

    /** Jlama's thread count can only be set before its executor starts; a later different request is refused. */
    private static void useThreads(int threads) {
        if (threads == 0) return;
        try {
            PhysicalCoreExecutor.overrideThreadCount(threads);
        } catch (IllegalStateException e) {
            int current = PhysicalCoreExecutor.instance.get().getCoreCount();
            if (current != threads) {
                throw new IllegalArgumentException("--threads " + threads + " cannot be applied: Jlama already runs with " + current + " threads in this JVM");
            }
        }
    }

    private static String describe(AbstractModel model, long weightBytes) {
        var c = model.getConfig();
        return String.format(Locale.ROOT, "model %s: %d layers, dim %d, %d query / %d KV heads, head size %d, hidden %d, vocab %d,"
                        + " context %d; decode reads %.1f MiB of weights; %d Jlama threads, ChunkKV kernels %s",
                model.getModelType(), c.numberOfLayers, c.embeddingLength, c.numberOfHeads, c.numberOfKeyValueHeads, c.headSize,
                c.hiddenLength, c.vocabularySize, c.contextLength, weightBytes / 1048576.0,
                PhysicalCoreExecutor.instance.get().getCoreCount(), Kernels.preferred().getClass().getSimpleName());
    }

    private static PrintWriter openOut(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        return new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
    }
}
