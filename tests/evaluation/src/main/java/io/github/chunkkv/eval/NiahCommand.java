package io.github.chunkkv.eval;

import io.github.chunkkv.needle.NeedleFormat;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/** {@code eval niah}: needle-in-a-haystack retrieval accuracy per policy, KV budget and task. */
public final class NiahCommand {
    static final List<Integer> DEFAULT_BUDGETS = List.of(32, 64, 128, 256);
    static final List<Double> DEFAULT_DEPTHS = IntStream.rangeClosed(0, 10).mapToObj(i -> i / 10.0).toList();
    static final int HEATMAP_BUDGET = 128;
    static final Set<String> OPTIONS = Set.of("model", "policies", "budgets", "lengths", "depths", "tasks", "samples", "haystack", "seed", "out");
    static final String HELP = """
            eval niah [--model DIR] [options]
              --model DIR        Jlama model folder (default: models/needle-lm in the repository)
              --policies LIST    policy names, comma-separated, or specs separated by ';' (default: all)
              --budgets LIST     KV budgets in tokens, window included (default 32,64,128,256; full ignores it)
              --lengths LIST     prompt lengths in tokens (default: 4 steps up to the model's trained context)
              --depths LIST      needle depths in [0, 1] (default 0,0.1,...,1)
              --tasks LIST       single, multikey (default both)
              --samples N        prompts per (task, length, depth) cell (default 1)
              --haystack FILE    filler text (default: haystack-nt.txt in the model folder)
              --seed N           seed of haystack offsets, keys and values (default 7)
              --out DIR          also write niah.csv/.json, niah_cells.csv/.json and the charts there
            Prompt format: see NeedleFormat (must match models/needle-lm/README.md).
            """;

    /** @param lengths prompt lengths, or null for {@code lengthCount} lengths derived from the model's context */
    public record Settings(List<String> policies, List<Integer> budgets, List<Integer> lengths, int lengthCount, List<Double> depths,
            List<NiahTask> tasks, int samples, long seed) {
        /** Documented defaults. */
        public static Settings defaults() {
            return new Settings(PolicyList.ALL, DEFAULT_BUDGETS, null, 4, DEFAULT_DEPTHS, List.of(NiahTask.values()), 1, 7);
        }

        static Settings from(EvalArgs a) {
            Settings d = defaults();
            return new Settings(a.has("policies") ? PolicyList.parseList(a.string("policies", "")) : d.policies(),
                    a.integers("budgets", d.budgets(), 1, 1 << 20), a.integers("lengths", null, 16, 1 << 20), d.lengthCount(), a.doubles("depths", d.depths(), 0, 1),
                    a.strings("tasks", List.of("single", "multikey")).stream().map(NiahTask::fromName).toList(),
                    a.integer("samples", d.samples(), 1, 10_000), a.integer("seed", (int) d.seed(), 0, Integer.MAX_VALUE));
        }
    }

    private NiahCommand() {}

    static void main(String[] args, PrintStream out) {
        EvalArgs a = new EvalArgs(args, OPTIONS);
        Settings settings = Settings.from(a);
        Path modelDir = a.modelDir("model", defaultModel());
        Haystack haystack = Haystack.load(a.path("haystack", modelDir.resolve("haystack-nt.txt")));
        Path outDir = a.path("out", null);
        try (EvalModel model = EvalModel.load(modelDir)) {
            NiahResults results = run(model, haystack, settings, out);
            if (outDir != null) write(outDir, outDir, results);
        }
    }

    /** models/needle-lm in the repository (system property chunkkv.repo.dir), or null when absent. */
    static Path defaultModel() {
        Path dir = Path.of(System.getProperty("chunkkv.repo.dir", "."), "models", "needle-lm");
        return Files.isDirectory(dir) ? dir : null;
    }

    public static NiahResults run(EvalModel model, Haystack haystack, Settings s, PrintStream out) {
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

    /** CSV/JSON into {@code dataDir}, charts (accuracy vs budget, one heatmap per policy and task) into {@code imageDir}. */
    static void write(Path dataDir, Path imageDir, NiahResults results) {
        ResultFiles.write(dataDir, "niah", results.rows());
        ResultFiles.write(dataDir, "niah_cells", results.cells());
        for (String task : results.rows().stream().map(NiahRow::task).distinct().toList()) {
            Charts.niahVsBudget(imageDir.resolve("niah-vs-budget-" + task + ".png"), results.rows(), task);
            int budget = results.rows().stream().anyMatch(r -> r.budget() == HEATMAP_BUDGET) ? HEATMAP_BUDGET : results.rows().get(0).budget();
            for (String policy : results.rows().stream().map(NiahRow::policy).distinct().toList()) {
                Charts.niahHeatmap(imageDir.resolve("niah-heatmap-" + task + "-" + fileSafe(policy) + ".png"), results.cells(), policy, budget, task);
            }
        }
    }

    static String fileSafe(String spec) {
        return spec.replaceAll("[^A-Za-z0-9._-]+", "_");
    }
}
