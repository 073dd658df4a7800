package io.github.chunkkv.eval;

import io.github.chunkkv.needle.NeedleFormat;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eval niah}: needle-in-a-haystack retrieval accuracy per policy, KV budget and task. */
@Command(name = "niah", sortOptions = false,
        description = {"Needle-in-a-haystack accuracy per policy and KV budget (single needle, multi-key).",
                "Prompt format: see NeedleFormat (must match models/needle-lm/README.md)."})
public final class NiahCommand extends EvalSubcommand {
    static final List<Integer> DEFAULT_BUDGETS = List.of(32, 64, 128, 256);
    static final List<Double> DEFAULT_DEPTHS = IntStream.rangeClosed(0, 10).mapToObj(i -> i / 10.0).toList();
    static final int HEATMAP_BUDGET = 128;

    @Mixin
    NeedleModelOptions needle;

    @Option(names = "--policies", paramLabel = "LIST", description = "Policy names, comma-separated, or specs separated by ';' (default: all).")
    String policies;

    @Option(names = "--budgets", paramLabel = "LIST", split = ",", description = "KV budgets in tokens, window included (default 32,64,128,256; full ignores it).")
    List<Integer> budgets;

    @Option(names = "--lengths", paramLabel = "LIST", split = ",", description = "Prompt lengths in tokens (default: 4 steps up to the model's trained context).")
    List<Integer> lengths;

    @Option(names = "--depths", paramLabel = "LIST", split = ",", description = "Needle depths in [0, 1] (default 0,0.1,...,1).")
    List<Double> depths;

    @Option(names = "--tasks", paramLabel = "LIST", split = ",", description = "single, multikey (default both).")
    List<String> tasks;

    @Option(names = "--samples", paramLabel = "N", description = "Prompts per (task, length, depth) cell (default 1).")
    Integer samples;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of haystack offsets, keys and values (default 7).")
    Integer seed;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write niah.csv/.json, niah_cells.csv/.json and the charts there.")
    Path outDir;

    /** @param lengths prompt lengths, or null for {@code lengthCount} lengths derived from the model's context */
    public record Settings(List<String> policies, List<Integer> budgets, List<Integer> lengths, int lengthCount, List<Double> depths,
            List<NiahTask> tasks, int samples, long seed) {
        /** Documented defaults. */
        public static Settings defaults() {
            return new Settings(PolicyList.ALL, DEFAULT_BUDGETS, null, 4, DEFAULT_DEPTHS, List.of(NiahTask.values()), 1, 7);
        }

        /** These settings with {@code samples} prompts per cell. */
        public Settings withSamples(int samples) {
            return new Settings(policies, budgets, lengths, lengthCount, depths, tasks, samples, seed);
        }
    }

    /** The options given, checked, with the defaults for the rest. */
    Settings settings() {
        Settings d = Settings.defaults();
        return new Settings(policies != null ? PolicyList.parseList(policies) : d.policies(),
                budgets != null ? OptionChecks.allInRange("--budgets", budgets, 1, 1 << 20) : d.budgets(),
                lengths != null ? OptionChecks.allInRange("--lengths", lengths, 16, 1 << 20) : null, d.lengthCount(),
                depths != null ? OptionChecks.allInRange("--depths", depths, 0, 1) : d.depths(),
                tasks != null ? tasks.stream().map(NiahTask::fromName).toList() : d.tasks(),
                samples != null ? OptionChecks.inRange("--samples", samples, 1, 10_000) : d.samples(),
                seed != null ? OptionChecks.inRange("--seed", seed, 0, Integer.MAX_VALUE) : d.seed());
    }

    @Override
    void run(PrintWriter out) {
        Settings settings = settings();
        Path modelDir = needle.modelDir();
        Haystack filler = needle.haystack(modelDir);
        try (EvalModel evalModel = EvalModel.load(modelDir)) {
            NiahResults results = run(evalModel, filler, settings, out);
            if (outDir != null) write(outDir, outDir, results, "niah");
        }
    }

    /** models/needle-lm in the repository (system property chunkkv.repo.dir), present or not. */
    static Path defaultModelPath() {
        return Path.of(System.getProperty("chunkkv.repo.dir", "."), "models", "needle-lm");
    }

    /** models/needle-lm in the repository (system property chunkkv.repo.dir), or null when absent. */
    static Path defaultModel() {
        Path dir = defaultModelPath();
        return Files.isDirectory(dir) ? dir : null;
    }

    public static NiahResults run(EvalModel model, Haystack haystack, Settings s, PrintWriter out) {
        return evaluator(model, haystack, s).run(s.policies(), s.budgets(), row -> out.println(row.line()));
    }

    public static NiahEval evaluator(EvalModel model, Haystack haystack, Settings s) {
        NiahCaseBuilder builder = new NiahCaseBuilder(model, haystack, s.seed());
        List<Integer> lengths = s.lengths() != null ? s.lengths() : defaultLengths(model, builder, s.tasks(), s.lengthCount());
        return new NiahEval(model, NiahEval.grid(builder, s.tasks(), lengths, s.depths(), s.samples()));
    }

    /**
     * {@code count} evenly spaced lengths up to the model's trained context C (leaving room for the answer), from
     * C/count or, when the needles take more room, from the shortest prompt every task fits with as much filler as
     * needles.
     */
    static List<Integer> defaultLengths(EvalModel model, NiahCaseBuilder builder, List<NiahTask> tasks, int count) {
        int context = model.trainedContext() - NeedleFormat.MAX_ANSWER_TOKENS;
        int shortest = Math.max(context / count, tasks.stream().mapToInt(builder::minimumLength).max().orElse(0));
        if (shortest > context) throw new IllegalArgumentException("the model's context (" + context + " tokens) is too short for the needle tasks " + tasks);
        return IntStream.range(0, count).mapToObj(k -> count == 1 ? context : shortest + (context - shortest) * k / (count - 1)).toList();
    }

    /**
     * CSV/JSON into {@code dataDir} ({@code name}.csv, {@code name}_cells.csv and .json), charts (accuracy vs budget,
     * one heatmap per policy and task) into {@code imageDir}, their file names starting with {@code name}.
     */
    static void write(Path dataDir, Path imageDir, NiahResults results, String name) {
        ResultFiles.write(dataDir, name, results.rows());
        ResultFiles.write(dataDir, name + "_cells", results.cells());
        for (String task : results.rows().stream().map(NiahRow::task).distinct().toList()) {
            Charts.niahVsBudget(imageDir.resolve(name + "-vs-budget-" + task + ".png"), results.rows(), task);
            for (String policy : results.rows().stream().map(NiahRow::policy).distinct().toList()) {
                Charts.niahHeatmap(imageDir.resolve(heatmapFile(name, task, policy)), results.cells(), policy, heatmapBudget(results.rows()), task);
            }
        }
    }

    /** The budget the heatmaps show: {@link #HEATMAP_BUDGET} when measured, else the first one. */
    static int heatmapBudget(List<NiahRow> rows) {
        return rows.stream().anyMatch(r -> r.budget() == HEATMAP_BUDGET) ? HEATMAP_BUDGET : rows.get(0).budget();
    }

    static String heatmapFile(String name, String task, String policy) {
        return name + "-heatmap-" + task + "-" + fileSafe(policy) + ".png";
    }

    static String fileSafe(String spec) {
        return spec.replaceAll("[^A-Za-z0-9._-]+", "_");
    }
}
