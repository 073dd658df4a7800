package io.github.chunkkv.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.cli.MissingModelException;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.config.KvPrecision;
import io.github.chunkkv.config.Recall;
import io.github.chunkkv.convert.RandomLlamaWriter;
import io.github.chunkkv.jlama.BatchedMatmul;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ModelFolderCheck;
import io.github.chunkkv.policy.PolicyRegistry;
import io.github.chunkkv.simd.Kernels;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./chunkkv bench}: prefill, compression and decode time of the ChunkKV path against stock Jlama on the same
 * model and prompt, measured in one run. Prints one {@code bench key=value ...} line per row as soon as it is measured,
 * then a table. Every bad value is refused with a message naming the option and its allowed range, before any model is
 * built.
 */
@Command(name = "bench", sortOptions = false,
        description = {"End-to-end benchmark: stock Jlama vs the ChunkKV path on the same model and prompt, in one run.",
                "Ratios are stock time / ChunkKV time (above 1 = ChunkKV faster); predicted_speedup = "
                        + "(weight_bytes + kv_bytes_full) / (weight_bytes + kv_bytes), kv_bytes_full being stock Jlama's cache; "
                        + "predicted_speedup_floor = jlama_decode / (floor + (jlama_decode - floor) * kv_bytes / kv_bytes_full), "
                        + "floor being ChunkKV's decode ms/token over a 64-token cache, timed alongside each row. "
                        + "Ratios are reported, never asserted."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:measured", "2:bad arguments", "3:--model is not a usable Jlama model folder", "1:any other failure"})
public final class BenchCli implements Callable<Integer> {
    static final int MIN_CONTEXT = 16;
    static final int MAX_CONTEXT = 131_072;
    static final int MAX_DECODE_TOKENS = 4096;
    static final int MAX_WARMUP_STEPS = 100_000;
    static final int MAX_REUSE = 64;
    /** Default {@code --contexts} of {@code --scaling}: 512 to 32K tokens, doubling. */
    static final String SCALING_CONTEXTS = "512,1024,2048,4096,8192,16384,32768";
    /** Seed of the random-weight model's weights. */
    private static final long MODEL_SEED = 768;
    /** Extra positions of the random model beyond the longest row, so Jlama's RoPE table covers every head offset. */
    private static final int CONTEXT_SLACK = 64;

    @Option(names = "--model", paramLabel = "DIR", description = "Jlama model folder; default: a random-weight Llama (12 layers, "
            + "dim 768, 12 query / 4 KV heads, hidden 2048, vocab 4096) written to a temp folder")
    Path model;

    @Option(names = "--weights", paramLabel = "TYPE", description = "weight type of the random model: f32 (default), bf16 or q4, "
            + "written with Jlama's own quantizer and loaded as Jlama users do (working memory F32, working quantized I8)")
    String weights = "f32";

    @Option(names = "--contexts", paramLabel = "LIST", description = "prompt lengths in tokens, default 1024,4096,8192 (each in [16, 131072])")
    String contexts = "1024,4096,8192";

    @Option(names = "--keep", paramLabel = "LIST", description = "keep ratios in (0, 1], default 1.0,0.2,0.1")
    String keeps = "1.0,0.2,0.1";

    @Option(names = "--policies", paramLabel = "LIST", description = "policies, default chunkkv (any of: ${COMPLETION-CANDIDATES})",
            completionCandidates = PolicyNames.class)
    String policies = "chunkkv";

    @Option(names = "--reuse", paramLabel = "LIST", description = "layer-wise index reuse intervals in [1, 64], default 1 (e.g. 1,2)")
    String reuses = "1";

    @Option(names = "--recall", paramLabel = "LIST", description = "where rows that evict put their evicted rows: off (dropped, the "
            + "paper's one-shot eviction), ram or disk (a cold tier decoding recalls from); default off; e.g. off,ram times "
            + "decoding with and without recall at the same keep, in the same run")
    String recalls = "off";

    @Option(names = "--kv", paramLabel = "PRECISION", description = "ChunkKV cache precision: f32, bf16 or q8; default: the model's "
            + "working memory type, as stock Jlama's cache")
    String kv;

    @Option(names = "--decode-tokens", paramLabel = "N", description = "timed decode steps per row, in [1, 4096], default 16 (after 2 untimed steps)")
    int decodeTokens = 16;

    @Option(names = "--warmup-steps", paramLabel = "N", description = "untimed decode steps per configuration on a short prompt before"
            + " the rows, in [0, 100000]; default: enough for HotSpot to compile the per-layer decode code (12,000 / layers)")
    Integer warmupSteps;

    @Option(names = "--threads", paramLabel = "N", description = "Jlama worker threads in [1, available processors], default Jlama's own")
    Integer threads;

    @Option(names = "--out", paramLabel = "FILE", description = "also write the 'bench' lines to FILE")
    Path out;

    @Option(names = "--scaling", description = "instead of the table: prefill time, decode ms/token and peak KV memory against context "
            + "length for stock Jlama, full KV, and each policy and keep ratio below 1 compressed once and with --segment; writes "
            + "--chart (PNG) and a CSV beside it. Defaults here: --contexts 512,1024,...,32768, --keep 0.1, a small random model "
            + "(4 layers, dim 256, 4 query / 2 KV heads, hidden 768)")
    boolean scaling;

    @Option(names = "--segment", paramLabel = "N", description = "with --scaling: the segment of the bounded-memory series (segment=N), "
            + "default 1024")
    int segment = 1024;

    @Option(names = "--stock-max-context", paramLabel = "N", description = "with --scaling: longest context stock Jlama is measured at, "
            + "default 8192 (its prefill grows fastest)")
    int stockMaxContext = 8192;

    @Option(names = "--chart", paramLabel = "FILE", description = "with --scaling: the PNG to write (the CSV goes beside it), default scaling.png")
    Path chart = Path.of("scaling.png");

    @Spec
    CommandSpec spec;

    /** The validated plan: what {@link EndToEndBenchmark} measures. */
    record Plan(List<Integer> contexts, List<ChunkKvConfig> configurations, int decodeTokens, Integer warmupSteps) {
        /** Warm-up decode steps per configuration: as asked, or {@link EndToEndBenchmark#WARMUP_LAYER_STEPS} / layers. */
        int warmupSteps(int layers) {
            return warmupSteps != null ? warmupSteps : Math.ceilDiv(EndToEndBenchmark.WARMUP_LAYER_STEPS, layers);
        }

        int maxContext() {
            return contexts.stream().mapToInt(Integer::intValue).max().orElseThrow();
        }

        int minContext() {
            return contexts.stream().mapToInt(Integer::intValue).min().orElseThrow();
        }
    }

    static final class PolicyNames extends ArrayList<String> {
        PolicyNames() {
            super(PolicyRegistry.names());
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        return ExitCodes.execute(new BenchCli(), args, out, err);
    }

    @Override
    public Integer call() throws IOException {
        if (scaling) return scaling();
        Plan plan = plan();
        DType weightType = weightType();
        if (threads != null) useThreads(threads);
        Consumer<String> progress = msg -> spec.commandLine().getErr().println("bench: " + msg);
        try (ScratchDir scratch = ScratchDir.create("chunkkv-bench")) {
            Path modelDir = model != null ? model : writeRandomModel(plan, weightType, scratch.path(), progress);
            long weightBytes;
            try {
                ModelFolderCheck.verify(modelDir);
                weightBytes = DecodeWeightBytes.of(modelDir);
            } catch (IllegalArgumentException e) {
                throw new MissingModelException("--model: " + e.getMessage());
            }
            AbstractModel jlama = ChunkKvJlama.loadJlamaModel(modelDir, scratch.jlamaWorkingDir());
            try (jlama; PrintWriter file = out != null ? openOut(out) : null) {
                EndToEndBenchmark bench = new EndToEndBenchmark(jlama, weightBytes);
                checkContextsFit(plan, bench);
                progress.accept(describe(jlama, bench, weightBytes));
                bench.warmUp(plan, progress);
                progress.accept("measuring the machine's GEMM rate");
                MachineRates machine = new MachineRates(GemmRate.measureGflops());
                spec.commandLine().getOut().println(machine.line());
                if (file != null) file.println(machine.line());
                List<BenchRow> rows = bench.run(plan, progress, row -> {
                    spec.commandLine().getOut().println(row.line());
                    spec.commandLine().getOut().flush();
                    if (file != null) {
                        file.println(row.line());
                        file.flush();
                    }
                });
                spec.commandLine().getOut().println();
                spec.commandLine().getOut().print(BenchTable.format(rows, machine));
                spec.commandLine().getOut().flush();
            }
        }
        return ExitCodes.OK;
    }

    /** {@code --scaling}: every series at every context, then the CSV and the chart. */
    private int scaling() throws IOException {
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        List<Integer> contextList = list("--contexts", given.hasMatchedOption("--contexts") ? contexts : SCALING_CONTEXTS,
                v -> intIn("--contexts", v, MIN_CONTEXT, MAX_CONTEXT));
        List<Double> keepList = list("--keep", given.hasMatchedOption("--keep") ? keeps : "0.1", v -> keepRatio("--keep", v));
        List<ChunkKvConfig> configs = scalingConfigs(keepList);
        intIn("--decode-tokens", Integer.toString(decodeTokens), 1, MAX_DECODE_TOKENS);
        intIn("--stock-max-context", Integer.toString(stockMaxContext), 0, MAX_CONTEXT);
        DType weightType = weightType();
        if (threads != null) useThreads(threads);
        Consumer<String> progress = msg -> spec.commandLine().getErr().println("bench: " + msg);
        int longest = contextList.stream().mapToInt(Integer::intValue).max().orElseThrow();
        try (ScratchDir scratch = ScratchDir.create("chunkkv-bench")) {
            Path modelDir = model;
            if (modelDir == null) {
                var shape = ScalingBenchmark.smallShape(longest + EndToEndBenchmark.positionsAfterPrompt(decodeTokens) + CONTEXT_SLACK);
                progress.accept("writing a random-weight model " + shape + " (" + weightType + ") to " + scratch.path());
                modelDir = writeRandomModel(shape, weightType, scratch.path());
            } else {
                try {
                    ModelFolderCheck.verify(modelDir);
                } catch (IllegalArgumentException e) {
                    throw new MissingModelException("--model: " + e.getMessage());
                }
            }
            try (AbstractModel jlama = ChunkKvJlama.loadJlamaModel(modelDir, scratch.jlamaWorkingDir())) {
                ScalingBenchmark bench = new ScalingBenchmark(jlama);
                int max = bench.maxContext(decodeTokens);
                if (longest > max) throw usage("--contexts must be at most " + max + " for this model with --decode-tokens " + decodeTokens + ", got " + longest);
                var c = jlama.getConfig();
                String described = String.format(Locale.ROOT, "%s, %d layers, dim %d, %d query / %d KV heads, %s weights, %d threads",
                        model == null ? "random weights" : modelDir.getFileName(), c.numberOfLayers, c.embeddingLength, c.numberOfHeads,
                        c.numberOfKeyValueHeads, weightType, PhysicalCoreExecutor.instance.get().getCoreCount());
                progress.accept("model: " + described);
                bench.warmUp(configs, contextList.stream().mapToInt(Integer::intValue).min().orElseThrow(), progress);
                List<ScalingBenchmark.Point> points = bench.run(contextList, configs, stockMaxContext, decodeTokens, progress, p -> {
                    spec.commandLine().getOut().println("scaling " + p.csv());
                    spec.commandLine().getOut().flush();
                });
                Path csv = chart.resolveSibling(chart.getFileName().toString().replaceFirst("\\.png$", "") + ".csv");
                ScalingBenchmark.writeCsv(csv, points);
                ScalingBenchmark.writeChart(chart, points, described, stockMaxContext);
                progress.accept("wrote " + chart + " and " + csv);
            }
        }
        return ExitCodes.OK;
    }

    /** Full KV, then per policy and keep ratio below 1: compressed once, and with {@code --segment}. */
    private List<ChunkKvConfig> scalingConfigs(List<Double> keepList) {
        List<ChunkKvConfig> configs = new ArrayList<>(List.of(ChunkKvConfig.full()));
        for (String policy : list("--policies", policies, PolicyRegistry::canonicalName)) {
            if (policy.equals(PolicyRegistry.FULL)) continue;
            for (double keep : keepList) {
                if (keep >= 1.0) continue;
                ChunkKvConfig once = ChunkKvConfig.builder(policy).keepRatio(keep).build();
                configs.add(once);
                try {
                    configs.add(once.withSegment(segment));
                } catch (IllegalArgumentException e) {
                    throw usage("--segment: " + e.getMessage());
                }
            }
        }
        return configs;
    }

    /** Validates every option into the plan; throws a {@link ParameterException} naming the option. */
    Plan plan() {
        List<Integer> contextList = list("--contexts", contexts, v -> intIn("--contexts", v, MIN_CONTEXT, MAX_CONTEXT));
        List<Double> keepList = list("--keep", keeps, v -> keepRatio("--keep", v));
        List<String> policyList = list("--policies", policies, v -> {
            try {
                return PolicyRegistry.canonicalName(v);
            } catch (IllegalArgumentException e) {
                throw usage("--policies: " + e.getMessage());
            }
        });
        List<Integer> reuseList = list("--reuse", reuses, v -> intIn("--reuse", v, 1, MAX_REUSE));
        List<Recall> recallList = list("--recall", recalls, v -> {
            try {
                return Recall.fromName(v);
            } catch (IllegalArgumentException e) {
                throw usage("--recall: " + e.getMessage());
            }
        });
        intIn("--decode-tokens", Integer.toString(decodeTokens), 1, MAX_DECODE_TOKENS);
        if (warmupSteps != null) intIn("--warmup-steps", Integer.toString(warmupSteps), 0, MAX_WARMUP_STEPS);
        if (threads != null) intIn("--threads", Integer.toString(threads), 1, Runtime.getRuntime().availableProcessors());
        Optional<KvPrecision> precision = Optional.ofNullable(kv).map(v -> {
            try {
                return KvPrecision.fromName(v);
            } catch (IllegalArgumentException e) {
                throw usage("--kv must be one of f32, bf16, q8, got '" + v + "'");
            }
        });
        List<ChunkKvConfig> configs = new ArrayList<>();
        for (String policy : policyList) {
            for (double keep : policy.equals(PolicyRegistry.FULL) ? List.of(1.0) : keepList) {
                for (int reuse : reuseList) {
                    if (keep >= 1.0 && reuse != reuseList.get(0)) continue; // reuse is moot without eviction
                    for (Recall recall : recallList) {
                        if (keep >= 1.0 && recall != recallList.get(0)) continue; // and so is recall
                        ChunkKvConfig.Builder b = ChunkKvConfig.builder(policy);
                        if (!policy.equals(PolicyRegistry.FULL)) b.keepRatio(keep).reuseInterval(reuse);
                        if (keep < 1.0) b.recall(recall);
                        precision.ifPresent(b::kv);
                        configs.add(b.build());
                    }
                }
            }
        }
        return new Plan(contextList, List.copyOf(configs), decodeTokens, warmupSteps);
    }

    private DType weightType() {
        return switch (weights.trim().toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> {
                if (model != null) throw usage("--weights applies to the random model only; --model folders load as stored");
                yield DType.BF16;
            }
            case "q4" -> {
                if (model != null) throw usage("--weights applies to the random model only; --model folders load as stored");
                yield DType.Q4;
            }
            default -> throw usage("--weights must be one of f32, bf16, q4, got '" + weights + "'");
        };
    }

    /** A realistic random model whose context covers the longest row plus the RoPE head offsets, in {@code type}. */
    private void checkContextsFit(Plan plan, EndToEndBenchmark bench) {
        int max = bench.maxContext(plan.decodeTokens());
        if (max < 1) { // the decode steps alone do not fit: say so rather than "--contexts must be at most -2"
            int decodeMax = bench.maxContext(0) - 1;
            throw usage(decodeMax < 1
                    ? "this model's context is too short for a prompt and its decode steps"
                    : "--decode-tokens must be at most " + decodeMax + " for this model (a row needs its prompt and decode steps in the context), got "
                            + plan.decodeTokens());
        }
        if (plan.maxContext() > max) {
            throw usage("--contexts must be at most " + max + " for this model with --decode-tokens " + plan.decodeTokens()
                    + " (its context length minus decode steps), got " + plan.maxContext());
        }
    }

    private static Path writeRandomModel(Plan plan, DType type, Path dir, Consumer<String> progress) throws IOException {
        int context = plan.maxContext() + EndToEndBenchmark.positionsAfterPrompt(plan.decodeTokens()) + CONTEXT_SLACK;
        RandomLlamaWriter.Shape shape = RandomLlamaWriter.Shape.realistic(context);
        progress.accept("writing a random-weight model " + shape + " (" + type + ") to " + dir);
        return writeRandomModel(shape, type, dir);
    }

    /** Writes a random model of {@code shape} with {@code type} weights into {@code dir}; returns its folder. */
    private static Path writeRandomModel(RandomLlamaWriter.Shape shape, DType type, Path dir) throws IOException {
        if (type == DType.F32) return RandomLlamaWriter.write(shape, dir.resolve("model"), MODEL_SEED);
        Path f32 = RandomLlamaWriter.write(shape, dir.resolve("f32"), MODEL_SEED);
        Files.writeString(f32.resolve("README.md"), "random-weight benchmark model\n"); // Jlama's quantizer copies it
        return SafeTensorSupport.quantizeModel(f32, type, new String[] {"norm"}, null, Optional.of(dir.resolve("model")));
    }

    /** Jlama's thread count can only be set before its executor starts; a later different request is refused. */
    private void useThreads(int count) {
        try {
            PhysicalCoreExecutor.overrideThreadCount(count);
        } catch (IllegalStateException e) {
            int current = PhysicalCoreExecutor.instance.get().getCoreCount();
            if (current != count) throw usage("--threads " + count + " cannot be applied: Jlama already runs with " + current + " threads in this JVM");
        }
    }

    private static String describe(AbstractModel model, EndToEndBenchmark bench, long weightBytes) {
        var c = model.getConfig();
        return String.format(Locale.ROOT, "model %s: %d layers, dim %d, %d query / %d KV heads, head size %d, hidden %d, vocab %d,"
                        + " context %d; %s; %s; decode reads %.1f MiB of weights; %d Jlama threads, ChunkKV kernels %s",
                model.getModelType(), c.numberOfLayers, c.embeddingLength, c.numberOfHeads, c.numberOfKeyValueHeads, c.headSize,
                c.hiddenLength, c.vocabularySize, c.contextLength, bench.workingTypes(),
                BatchedMatmul.describePrefill(bench.workingTypes()), weightBytes / 1048576.0,
                PhysicalCoreExecutor.instance.get().getCoreCount(), Kernels.preferred().getClass().getSimpleName());
    }

    private <T> List<T> list(String name, String value, Function<String, T> parse) {
        LinkedHashSet<T> items = new LinkedHashSet<>();
        for (String part : value.split(",", -1)) {
            if (part.isBlank()) throw usage(name + " must be a comma-separated list without empty items, got '" + value + "'");
            if (!items.add(parse.apply(part.trim()))) throw usage(name + " lists '" + part.trim() + "' twice");
        }
        return List.copyOf(items);
    }

    private int intIn(String name, String value, int min, int max) {
        int v;
        try {
            v = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw usage(name + " must be an integer in [" + min + ", " + max + "], got '" + value + "'");
        }
        if (v < min || v > max) throw usage(name + " must be in [" + min + ", " + max + "], got " + v);
        return v;
    }

    private double keepRatio(String name, String value) {
        double v;
        try {
            v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw usage(name + " must hold numbers in (0, 1], got '" + value + "'");
        }
        if (!(v > 0 && v <= 1)) throw usage(name + " must hold numbers in (0, 1], got " + value);
        return v;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private static PrintWriter openOut(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        return new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
    }
}
