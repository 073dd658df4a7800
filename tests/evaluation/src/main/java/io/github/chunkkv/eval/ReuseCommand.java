package io.github.chunkkv.eval;

import io.github.chunkkv.policy.PolicyRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code eval reuse}: how alike adjacent layers' kept positions are per policy (Jaccard, reuse off), and what sharing
 * one index list across N layers (reuse = 1, 2, 3) costs ChunkKV in fidelity, NIAH accuracy and compression time.
 */
@Command(name = "reuse", sortOptions = false,
        description = "Layer-wise index reuse: Jaccard of adjacent layers' kept positions; reuse=1/2/3 quality.")
public final class ReuseCommand extends EvalSubcommand {
    static final List<String> DEFAULT_POLICIES = PolicyList.ALL.stream().filter(p -> !p.equals(PolicyRegistry.FULL)).toList();

    @Option(names = "--model", paramLabel = "DIR", description = "Model for Jaccard and fidelity (e.g. imported stories260K).")
    Path model;

    @Option(names = "--niah-model", paramLabel = "DIR", description = "Retrieval model for NIAH accuracy per reuse interval (default: models/needle-lm if present).")
    Path niahModel;

    @Option(names = "--policies", paramLabel = "LIST", description = "Policies whose adjacent-layer Jaccard is measured (default: every policy but full).")
    String policies;

    @Option(names = "--keep", paramLabel = "R", description = "Keep ratio for Jaccard and fidelity (default 0.1).")
    Double keep;

    @Option(names = "--prompts", paramLabel = "N", description = "Fidelity prompts (default 10).")
    Integer prompts;

    @Option(names = "--steps", paramLabel = "N", description = "Compared tokens per prompt (default 64).")
    Integer steps;

    @Option(names = "--reuse", paramLabel = "LIST", split = ",", description = "ChunkKV reuse intervals (default 1,2,3).")
    List<Integer> reuse;

    @Option(names = "--budget", paramLabel = "B", description = "NIAH KV budget (default 128).")
    Integer budget;

    @Option(names = "--samples", paramLabel = "N", description = "Prompts per NIAH cell (default 1).")
    Integer samples;

    @Option(names = "--haystack", paramLabel = "FILE", description = "NIAH filler (default: haystack-nt.txt in the NIAH model folder).")
    Path haystack;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write reuse_jaccard/reuse_fidelity/reuse_niah .csv/.json there.")
    Path outDir;

    public record Settings(List<String> policies, double keep, int prompts, int steps, List<Integer> reuse, int budget, int samples) {
        public static Settings defaults() {
            return new Settings(DEFAULT_POLICIES, 0.1, 10, 64, List.of(1, 2, 3), 128, 1);
        }
    }

    /** Everything a reuse study produced; {@code niah} is empty without a retrieval model. */
    public record Results(List<JaccardRow> jaccard, List<FidelityRow> fidelity, List<NiahRow> niah) {}

    /** The options given, checked, with the defaults for the rest. */
    Settings settings() {
        Settings d = Settings.defaults();
        return new Settings(policies != null ? PolicyList.parseList(policies) : d.policies(),
                keep != null ? OptionChecks.inRange("--keep", keep, 1e-6, 1) : d.keep(),
                prompts != null ? OptionChecks.inRange("--prompts", prompts, 1, 10_000) : d.prompts(),
                steps != null ? OptionChecks.inRange("--steps", steps, 1, 4096) : d.steps(),
                reuse != null ? OptionChecks.allInRange("--reuse", reuse, 1, 64) : d.reuse(),
                budget != null ? OptionChecks.inRange("--budget", budget, 1, 1 << 20) : d.budget(),
                samples != null ? OptionChecks.inRange("--samples", samples, 1, 10_000) : d.samples());
    }

    @Override
    void run(PrintWriter out) {
        Settings settings = settings();
        Path modelDir = OptionChecks.modelDir("--model", model, null);
        Path niahDir = niahModel != null ? OptionChecks.modelDir("--niah-model", niahModel, null) : NiahCommand.defaultModel();
        Results results;
        try (EvalModel evalModel = EvalModel.load(modelDir)) {
            results = runOnFidelityModel(evalModel, settings, out);
        }
        if (niahDir != null) {
            Haystack filler = Haystack.load(haystack != null ? haystack : niahDir.resolve("haystack-nt.txt"));
            try (EvalModel niah = EvalModel.load(niahDir)) {
                NiahEval cells = NiahCommand.evaluator(niah, filler, NiahCommand.Settings.defaults().withSamples(settings.samples()));
                results = new Results(results.jaccard(), results.fidelity(), runNiah(cells, settings, out));
            }
        } else {
            out.println("reuse: no retrieval model (models/needle-lm absent, no --niah-model): NIAH per reuse interval skipped");
        }
        if (outDir != null) write(outDir, results);
    }

    /** Jaccard per policy and fidelity per reuse interval, on the fidelity model. */
    public static Results runOnFidelityModel(EvalModel model, Settings s, PrintWriter out) {
        FidelityCommand.Settings f = FidelityCommand.Settings.defaults();
        FidelityEval eval = FidelityCommand.evaluator(model, new FidelityCommand.Settings(List.of(), List.of(), s.prompts(), s.steps(), f.seed(), f.minLength(), f.maxLength()));
        List<JaccardRow> jaccard = new ArrayList<>();
        for (String spec : s.policies()) {
            JaccardRow row = LayerJaccard.measure(model, eval.prompts(), spec, PolicyList.withKeep(spec + reuseSuffix(spec, 1), s.keep()), s.keep());
            jaccard.add(row);
            out.println(row.line());
        }
        List<FidelityRow> fidelity = new ArrayList<>();
        for (int n : s.reuse()) {
            String spec = "chunkkv:reuse=" + n;
            FidelityRow row = eval.measure(spec, PolicyList.withKeep(spec, s.keep()), s.keep());
            fidelity.add(row);
            out.println(row.line());
        }
        return new Results(jaccard, fidelity, List.of());
    }

    /**
     * NIAH accuracy of ChunkKV per reuse interval at the study's budget, on the cases of {@code eval} (whose answers
     * it shares: {@code eval all} passes the NIAH grid's evaluator, so reuse 1 is the grid's {@code chunkkv}).
     */
    public static List<NiahRow> runNiah(NiahEval eval, Settings s, PrintWriter out) {
        List<String> specs = s.reuse().stream().map(n -> "chunkkv:reuse=" + n).toList();
        return eval.run(specs, List.of(s.budget()), row -> out.println(row.line())).rows();
    }

    static void write(Path outDir, Results r) {
        ResultFiles.write(outDir, "reuse_jaccard", r.jaccard());
        ResultFiles.write(outDir, "reuse_fidelity", r.fidelity());
        ResultFiles.write(outDir, "reuse_niah", r.niah());
    }

    /** Forces reuse=1 (independent layers) for the Jaccard measurement unless the spec sets reuse itself. */
    private static String reuseSuffix(String spec, int reuse) {
        if (spec.contains("reuse=")) return "";
        return (spec.contains(":") ? "," : ":") + "reuse=" + reuse;
    }
}
