package io.github.chunkkv.eval;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code eval fidelity}: top-1 agreement, first divergence and KL vs FullKV on prompts the model writes itself. */
@Command(name = "fidelity", sortOptions = false,
        description = "Agreement with FullKV (top-1, first divergence, KL) on stories the model writes itself.")
public final class FidelityCommand extends EvalSubcommand {
    static final List<Double> DEFAULT_KEEPS = List.of(0.5, 0.3, 0.2, 0.1);

    @Option(names = "--model", paramLabel = "DIR", description = "Jlama model folder (e.g. stories260K imported with ./chunkkv import).")
    Path model;

    @Option(names = "--policies", paramLabel = "LIST", description = "Policy names, comma-separated, or specs separated by ';' (default: all).")
    String policies;

    @Option(names = "--keep", paramLabel = "LIST", split = ",", description = "Keep ratios (default 0.5,0.3,0.2,0.1).")
    List<Double> keeps;

    @Option(names = "--prompts", paramLabel = "N", description = "Prompts, each sampled from its own seed at temperature 0.8 (default 20).")
    Integer prompts;

    @Option(names = "--steps", paramLabel = "N", description = "Greedy tokens compared after each prompt (default 64).")
    Integer steps;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the first prompt (default 1).")
    Integer seed;

    @Option(names = "--min-length", paramLabel = "N", description = "Shortest prompt in tokens (default 400).")
    Integer minLength;

    @Option(names = "--max-length", paramLabel = "N", description = "Longest prompt (default 480, capped so prompt + steps fit the model).")
    Integer maxLength;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write fidelity.csv/.json and fidelity.png there.")
    Path outDir;

    /** What one fidelity run needs; {@link #defaults} matches the documented defaults. */
    public record Settings(List<String> policies, List<Double> keeps, int prompts, int steps, long seed, int minLength, int maxLength) {
        public static Settings defaults() {
            return new Settings(PolicyList.ALL, DEFAULT_KEEPS, 20, 64, 1, 400, 480);
        }
    }

    /** The options given, checked, with the defaults for the rest. */
    Settings settings() {
        Settings d = Settings.defaults();
        return new Settings(policies != null ? PolicyList.parseList(policies) : d.policies(),
                keeps != null ? OptionChecks.allInRange("--keep", keeps, 1e-6, 1.0) : d.keeps(),
                prompts != null ? OptionChecks.inRange("--prompts", prompts, 1, 10_000) : d.prompts(),
                steps != null ? OptionChecks.inRange("--steps", steps, 1, 4096) : d.steps(),
                seed != null ? OptionChecks.inRange("--seed", seed, 0, Integer.MAX_VALUE) : d.seed(),
                minLength != null ? OptionChecks.inRange("--min-length", minLength, 2, 1 << 20) : d.minLength(),
                maxLength != null ? OptionChecks.inRange("--max-length", maxLength, 2, 1 << 20) : d.maxLength());
    }

    @Override
    void run(PrintWriter out) {
        Settings settings = settings();
        try (EvalModel evalModel = EvalModel.load(OptionChecks.modelDir("--model", model, null))) {
            List<FidelityRow> rows = run(evalModel, settings, out);
            if (outDir != null) {
                ResultFiles.write(outDir, "fidelity", rows);
                Charts.fidelity(outDir.resolve("fidelity.png"), rows);
            }
        }
    }

    public static List<FidelityRow> run(EvalModel model, Settings s, PrintWriter out) {
        FidelityEval eval = evaluator(model, s);
        return eval.run(s.policies(), s.keeps(), row -> out.println(row.line()));
    }

    /** Generates the prompts (lengths capped so that prompt + steps fit) and FullKV's references. */
    public static FidelityEval evaluator(EvalModel model, Settings s) {
        int max = Math.min(s.maxLength(), model.maxPositions() - s.steps());
        if (max < s.minLength()) {
            throw new IllegalArgumentException("prompts of at least " + s.minLength() + " tokens + " + s.steps() + " steps do not fit the model's "
                    + model.maxPositions() + " positions; lower --min-length or --steps");
        }
        return new FidelityEval(model, StoryPrompts.generate(model, s.prompts(), s.minLength(), max, s.seed()), s.steps());
    }
}
