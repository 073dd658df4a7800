package io.github.chunkkv.eval;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.convert.Llama2cImporter;
import io.github.chunkkv.needle.NeedleFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code eval all}: every experiment with its documented defaults, written into docs/ (RESULTS.md, results/*.csv and
 * *.json, images/*.png, kept-tokens.html). stories260K serves fidelity and Jaccard; models/needle-lm, when present,
 * serves NIAH, the reuse study's NIAH and the multi-turn study; models/needle-ctl, when present, NIAH beside it.
 */
@Command(name = "all", sortOptions = false,
        description = {"Every experiment with the documented defaults, written into docs/ (RESULTS.md, CSV, JSON, PNG).",
                "Fidelity: every policy x keep 0.5,0.3,0.2,0.1 on 50 prompts; reuse study at keep 0.1; NIAH on needle-lm and needle-ctl: "
                        + "full and the paper's five policies at KV 128 x 3 lengths x depths 0,0.25,..,1 x 7 samples (105 prompts per "
                        + "policy and task) x 2 tasks, ChunkKV per reuse interval on the same prompts, and the chunk-boundary study "
                        + "(the fixed grid against its boundary-robust variants on the 105 single-needle prompts); multi-turn: the default "
                        + "policies, 5 turns, 2048 tokens, 24 contexts, both modes. About 40 minutes on 2 shared cores; --quick runs the same "
                        + "pipeline on small samples in a few minutes."})
public final class AllCommand extends EvalSubcommand {
    /**
     * The NIAH grid of {@code eval all}: 3 lengths × depths in steps of 0.25 × {@link #ALL_SAMPLES} samples (eval niah
     * defaults to 4 lengths, steps of 0.1 and one sample), so each accuracy is over 105 prompts.
     */
    static final List<Double> ALL_DEPTHS = List.of(0.0, 0.25, 0.5, 0.75, 1.0);
    static final int ALL_LENGTH_COUNT = 3;
    static final int ALL_SAMPLES = 7;
    /**
     * FullKV and the paper's five NIAH policies at the paper's KV 128: what fits the runtime target with 105 prompts per
     * row on two models (each prompt is about a CPU-second of prefill here). The chunk-placement variants have their own
     * study (docs/BOUNDARIES.md); the other policies and the budget sweep run with {@code eval niah}.
     */
    static final List<String> ALL_NIAH_POLICIES = List.of("full", "chunkkv", "pyramidkv", "snapkv", "h2o", "streamingllm");
    static final List<Integer> ALL_NIAH_BUDGETS = List.of(NiahCommand.HEATMAP_BUDGET);
    /**
     * The chunk-boundary study: the paper's fixed grid, its boundary-robust variants and SnapKV (token level, for
     * contrast) on the grid's single-needle prompts at KV 128; the fixed grid and SnapKV reuse the grid's answers.
     */
    static final List<String> ALL_BOUNDARY_POLICIES = List.of("chunkkv", "chunkkv-shift", "chunkkv-slide", "chunkkv-peak", "snapkv");
    static final int ALL_FIDELITY_PROMPTS = 50;
    /**
     * Multi-turn contexts of {@code eval all}: at least 20, so that one context (1/24 = 0.042) is below the 0.05 the
     * recall policies are held to against FullKV on every turn; about 10 minutes for the default policies in both modes.
     */
    static final int ALL_MULTITURN_SAMPLES = 24;
    /** {@code --quick}: the same pipeline on small samples, to check it end to end. */
    private static final Sizes QUICK = new Sizes(5, 1, 2);

    /** How many prompts each experiment runs (the reuse study's NIAH and the boundary study run on the NIAH grid's prompts). */
    private record Sizes(int fidelityPrompts, int niahSamples, int multiturnContexts) {}

    @Option(names = "--fidelity-model", paramLabel = "DIR", description = "Jlama folder for fidelity/reuse (default: stories260K imported from "
            + "models/stories260K into tests/evaluation/target/eval-models).")
    Path fidelityModel;

    @Option(names = "--niah-model", paramLabel = "DIR", description = "Retrieval model (default: models/needle-lm; NIAH and multi-turn are skipped when absent).")
    Path niahModel;

    @Option(names = "--control-model", paramLabel = "DIR", description = "Control retrieval model, NIAH only, reported beside the first "
            + "(default: models/needle-ctl when present).")
    Path controlModel;

    @Option(names = "--haystack", paramLabel = "FILE", description = "NIAH filler (default: haystack-nt.txt in the NIAH model folder).")
    Path haystack;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: docs/ in the repository).")
    Path outDir;

    @Option(names = "--quick", description = "Small samples (fidelity 5 prompts, NIAH 1 sample per cell, multi-turn 2 contexts): minutes, not the "
            + "documented numbers.")
    boolean quick;

    @Option(names = "--prompts", paramLabel = "N", description = "Fidelity prompts (default " + ALL_FIDELITY_PROMPTS + ").")
    Integer prompts;

    @Option(names = "--samples", paramLabel = "N", description = "NIAH prompts per cell (default " + ALL_SAMPLES + ").")
    Integer samples;

    @Option(names = "--multiturn-samples", paramLabel = "N", description = "Multi-turn contexts (default " + ALL_MULTITURN_SAMPLES + ").")
    Integer multiturnSamples;

    @Override
    void run(PrintWriter out) {
        Sizes d = quick ? QUICK : new Sizes(ALL_FIDELITY_PROMPTS, ALL_SAMPLES, ALL_MULTITURN_SAMPLES);
        int fidelityPrompts = prompts != null ? OptionChecks.inRange("--prompts", prompts, 1, 10_000) : d.fidelityPrompts();
        int niahSamples = samples != null ? OptionChecks.inRange("--samples", samples, 1, 10_000) : d.niahSamples();
        int contexts = multiturnSamples != null ? OptionChecks.inRange("--multiturn-samples", multiturnSamples, 1, 10_000) : d.multiturnContexts();
        Path repo = Path.of(System.getProperty("chunkkv.repo.dir", "."));
        Path fidelityDir = fidelityModel != null ? OptionChecks.modelDir("--fidelity-model", fidelityModel, null) : importedStories(repo);
        Path niahDir = niahModel != null ? OptionChecks.modelDir("--niah-model", niahModel, null) : NiahCommand.defaultModel();
        Path controlDir = controlModel != null ? OptionChecks.modelDir("--control-model", controlModel, null) : present(repo.resolve("models/needle-ctl"));
        Path docs = outDir != null ? outDir : repo.resolve("docs");
        Path results = docs.resolve("results"), images = docs.resolve("images");
        Haystack filler = niahDir == null ? null : Haystack.load(haystack != null ? haystack : niahDir.resolve("haystack-nt.txt"));
        long start = System.nanoTime();

        ResultsReport report = new ResultsReport(fidelityDir, niahDir);
        ReuseCommand.Settings reuse = ReuseCommand.Settings.defaults();
        fidelityAndReuse(fidelityDir, fidelityPrompts, reuse, niahDir == null ? docs.resolve("kept-tokens.html") : null, report, out);
        if (niahDir != null) {
            NiahCommand.Settings grid = niahGrid(niahSamples);
            niah(niahDir, filler, grid, reuse, contexts, docs.resolve("kept-tokens.html"), report, out);
            if (controlDir != null) {
                try (EvalModel model = EvalModel.load(controlDir)) {
                    NiahEval eval = NiahCommand.evaluator(model, filler, grid);
                    report.niah(controlDir, grid, eval.run(grid.policies(), grid.budgets(), row -> out.println(row.line())));
                    // needle-ctl never reads the closing period, so its answer span is the value tokens alone
                    report.boundary(controlDir, boundaryStudy(model, eval, true, out));
                }
            }
        }
        // The parse result holds the whole command line ("all" included when run through `eval`): keep what follows it.
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        report.write(docs, results, images, (System.nanoTime() - start) / 1e9,
                "./chunkkv eval all " + String.join(" ", args.subList(args.indexOf(spec.name()) + 1, args.size())));
        out.println("wrote " + docs.resolve("RESULTS.md"));
    }

    /** The boundary study on the single-needle prompts of {@code eval}, at the heatmap budget and the paper's chunk size. */
    private static BoundaryStudy.Result boundaryStudy(EvalModel model, NiahEval eval, boolean valuesOnly, PrintWriter out) {
        return BoundaryStudy.run(model, eval.ofTask(NiahTask.SINGLE), ALL_BOUNDARY_POLICIES, NiahCommand.HEATMAP_BUDGET, ChunkKvConfig.DEFAULT_CHUNK_SIZE,
                valuesOnly, split -> out.println("boundary " + BoundaryStudy.row(split)));
    }

    /** The NIAH grid of {@code eval all} with {@code samples} prompts per cell. */
    static NiahCommand.Settings niahGrid(int samples) {
        NiahCommand.Settings d = NiahCommand.Settings.defaults();
        return new NiahCommand.Settings(ALL_NIAH_POLICIES, ALL_NIAH_BUDGETS, null, ALL_LENGTH_COUNT, ALL_DEPTHS, d.tasks(), samples, d.seed());
    }

    private static Path present(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json")) ? dir : null;
    }

    /** Fidelity and the reuse study on the fidelity model; the kept-token map of a story when {@code keptMap} is given. */
    private static void fidelityAndReuse(Path modelDir, int prompts, ReuseCommand.Settings reuse, Path keptMap, ResultsReport report, PrintWriter out) {
        FidelityCommand.Settings d = FidelityCommand.Settings.defaults();
        FidelityCommand.Settings f = new FidelityCommand.Settings(d.policies(), d.keeps(), prompts, d.steps(), d.seed(), d.minLength(), d.maxLength());
        try (EvalModel model = EvalModel.load(modelDir)) {
            FidelityEval eval = FidelityCommand.evaluator(model, f);
            report.fidelity(f, eval.run(f.policies(), f.keeps(), row -> out.println(row.line())));
            report.reuse(reuse, ReuseCommand.runOnFidelityModel(model, reuse, out));
            if (keptMap != null) {
                Map<String, ChunkKvConfig> policies = new LinkedHashMap<>();
                for (String p : PolicyList.ALL) policies.put(p + " keep=0.1", PolicyList.withKeep(p, 0.1));
                KeptTokenMap.write(keptMap, model, eval.prompts().get(0), policies, "Kept tokens of a stories260K prompt at keep ratio 0.1", null);
            }
        }
    }

    /**
     * The NIAH grid, NIAH per reuse interval and the boundary study on the grid's prompts, the multi-turn study, and the
     * kept-token map of a mid-depth needle prompt.
     */
    private static void niah(Path modelDir, Haystack haystack, NiahCommand.Settings n, ReuseCommand.Settings reuse, int multiturnSamples, Path keptMap,
            ResultsReport report, PrintWriter out) {
        try (EvalModel model = EvalModel.load(modelDir)) {
            NiahEval eval = NiahCommand.evaluator(model, haystack, n);
            report.niah(modelDir, n, eval.run(n.policies(), n.budgets(), row -> out.println(row.line())));
            report.reuseNiah(ReuseCommand.runNiah(eval, reuse, out));
            report.boundary(modelDir, boundaryStudy(model, eval, false, out));
            MultiturnCommand.Settings multiturn = MultiturnCommand.Settings.defaults().withSamples(multiturnSamples);
            report.multiturn(multiturn, MultiturnCommand.run(model, haystack, multiturn, out));
            NiahCase shown = eval.cases().stream().filter(c -> c.task() == NiahTask.SINGLE && c.depth() == 0.5).reduce((x, y) -> y).orElse(eval.cases().get(0));
            Map<String, ChunkKvConfig> policies = new LinkedHashMap<>();
            for (String p : PolicyList.ALL) policies.put(p + " budget=" + NiahCommand.HEATMAP_BUDGET, PolicyList.withBudget(p, NiahCommand.HEATMAP_BUDGET));
            int needleEnd = shown.needleStart() + model.encode(NeedleFormat.needle(shown.key(), shown.value())).length;
            KeptTokenMap.write(keptMap, model, shown.tokens(), policies, "Kept tokens of a NIAH prompt (" + shown.tokens().length
                    + " tokens, needle at depth " + shown.depth() + ") at KV budget " + NiahCommand.HEATMAP_BUDGET, new int[] {shown.needleStart(), needleEnd});
        }
    }

    /** stories260K converted once into tests/evaluation/target/eval-models (reused by later runs). */
    static Path importedStories(Path repo) {
        Path target = repo.resolve("tests/evaluation/target/eval-models/stories260K");
        if (Files.isRegularFile(target.resolve("config.json"))) return target;
        Path src = repo.resolve("models/stories260K");
        if (!Files.isRegularFile(src.resolve("stories260K.bin"))) {
            throw new IllegalArgumentException("--fidelity-model not given and stories260K not found in " + src
                    + " (the repository ships stories260K.bin and tok512.bin there; or pass an imported folder)");
        }
        try {
            return Llama2cImporter.importModel(src.resolve("stories260K.bin"), src.resolve("tok512.bin"), target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse(cpu);
        } catch (IOException ignored) {
            // not Linux: the name stays unknown
        }
        return List.of(cpu, Runtime.getRuntime().availableProcessors() + " cores visible to the JVM",
                System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
    }
}
