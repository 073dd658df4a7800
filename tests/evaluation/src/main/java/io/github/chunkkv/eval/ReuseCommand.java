package io.github.chunkkv.eval;

import io.github.chunkkv.policy.PolicyRegistry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code eval reuse}: how alike adjacent layers' kept positions are per policy (Jaccard, reuse off), and what sharing
 * one index list across N layers (reuse = 1, 2, 3) costs ChunkKV in fidelity, NIAH accuracy and compression time.
 */
public final class ReuseCommand {
    static final List<String> DEFAULT_POLICIES = PolicyList.ALL.stream().filter(p -> !p.equals(PolicyRegistry.FULL)).toList();
    static final Set<String> OPTIONS = Set.of("model", "niah-model", "policies", "keep", "prompts", "steps", "reuse", "budget", "samples", "haystack", "out");
    static final String HELP = """
            eval reuse --model DIR [options]
              --model DIR        model for Jaccard and fidelity (e.g. imported stories260K)
              --niah-model DIR   retrieval model for NIAH accuracy per reuse interval (default: models/needle-lm if present)
              --policies LIST    policies whose adjacent-layer Jaccard is measured (default: every policy but full)
              --keep R           keep ratio for Jaccard and fidelity (default 0.1)
              --prompts N        fidelity prompts (default 10); --steps N compared tokens (default 64)
              --reuse LIST       ChunkKV reuse intervals (default 1,2,3)
              --budget B         NIAH KV budget (default 128); --samples N per NIAH cell (default 1); --haystack FILE
              --out DIR          also write reuse_jaccard/reuse_fidelity/reuse_niah .csv/.json there
            """;

    public record Settings(List<String> policies, double keep, int prompts, int steps, List<Integer> reuse, int budget, int samples) {
        public static Settings defaults() {
            return new Settings(DEFAULT_POLICIES, 0.1, 10, 64, List.of(1, 2, 3), 128, 1);
        }

        static Settings from(EvalArgs a) {
            Settings d = defaults();
            return new Settings(a.has("policies") ? PolicyList.parseList(a.string("policies", "")) : d.policies(),
                    a.doubles("keep", List.of(d.keep()), 1e-6, 1).get(0), a.integer("prompts", d.prompts(), 1, 10_000), a.integer("steps", d.steps(), 1, 4096),
                    a.integers("reuse", d.reuse(), 1, 64), a.integer("budget", d.budget(), 1, 1 << 20), a.integer("samples", d.samples(), 1, 10_000));
        }
    }

    /** Everything a reuse study produced; {@code niah} is empty without a retrieval model. */
    public record Results(List<JaccardRow> jaccard, List<FidelityRow> fidelity, List<NiahRow> niah) {}

    private ReuseCommand() {}

    static void main(String[] args, PrintStream out) {
        EvalArgs a = new EvalArgs(args, OPTIONS);
        Settings settings = Settings.from(a);
        Path modelDir = a.modelDir("model", null);
        Path niahDir = a.has("niah-model") ? a.modelDir("niah-model", null) : NiahCommand.defaultModel();
        Path outDir = a.path("out", null);
        Results results;
        try (EvalModel model = EvalModel.load(modelDir)) {
            results = runOnFidelityModel(model, settings, out);
        }
        if (niahDir != null) {
            Haystack haystack = Haystack.load(a.path("haystack", niahDir.resolve("haystack-nt.txt")));
            try (EvalModel niah = EvalModel.load(niahDir)) {
                results = new Results(results.jaccard(), results.fidelity(), runNiah(niah, haystack, settings, NiahCommand.Settings.defaults(), out));
            }
        } else {
            out.println("reuse: no retrieval model (models/needle-lm absent, no --niah-model): NIAH per reuse interval skipped");
        }
        if (outDir != null) write(outDir, results);
    }

    /** Jaccard per policy and fidelity per reuse interval, on the fidelity model. */
    public static Results runOnFidelityModel(EvalModel model, Settings s, PrintStream out) {
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

    /** NIAH accuracy of ChunkKV per reuse interval at the study's budget, on the grid of {@code grid} (its policies and budgets aside). */
    public static List<NiahRow> runNiah(EvalModel model, Haystack haystack, Settings s, NiahCommand.Settings grid, PrintStream out) {
        List<String> specs = s.reuse().stream().map(n -> "chunkkv:reuse=" + n).toList();
        NiahCommand.Settings niah = new NiahCommand.Settings(specs, List.of(s.budget()), grid.lengths(), grid.lengthCount(), grid.depths(), grid.tasks(),
                s.samples(), grid.seed());
        return NiahCommand.run(model, haystack, niah, out).rows();
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
