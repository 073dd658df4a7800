package io.github.chunkkv.eval;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code eval fidelity}: top-1 agreement, first divergence and KL vs FullKV on prompts the model writes itself. */
public final class FidelityCommand {
    static final List<Double> DEFAULT_KEEPS = List.of(0.5, 0.3, 0.2, 0.1);
    static final Set<String> OPTIONS = Set.of("model", "policies", "keep", "prompts", "steps", "seed", "min-length", "max-length", "out");
    static final String HELP = """
            eval fidelity --model DIR [options]
              --model DIR        Jlama model folder (e.g. stories260K imported with ./chunkkv import)
              --policies LIST    policy names, comma-separated, or specs separated by ';' (default: all)
              --keep LIST        keep ratios (default 0.5,0.3,0.2,0.1)
              --prompts N        prompts, each sampled from its own seed at temperature 0.8 (default 20)
              --steps N          greedy tokens compared after each prompt (default 64)
              --seed N           seed of the first prompt (default 1)
              --min-length N     shortest prompt in tokens (default 400)
              --max-length N     longest prompt (default 480, capped so prompt + steps fit the model)
              --out DIR          also write fidelity.csv/.json and fidelity.png there
            """;

    /** What one fidelity run needs; {@link #defaults} matches the documented defaults. */
    public record Settings(List<String> policies, List<Double> keeps, int prompts, int steps, long seed, int minLength, int maxLength) {
        public static Settings defaults() {
            return new Settings(PolicyList.ALL, DEFAULT_KEEPS, 20, 64, 1, 400, 480);
        }

        static Settings from(EvalArgs a) {
            Settings d = defaults();
            return new Settings(a.has("policies") ? PolicyList.parseList(a.string("policies", "")) : d.policies(),
                    a.doubles("keep", d.keeps(), 1e-6, 1.0), a.integer("prompts", d.prompts(), 1, 10_000), a.integer("steps", d.steps(), 1, 4096),
                    a.integer("seed", (int) d.seed(), 0, Integer.MAX_VALUE), a.integer("min-length", d.minLength(), 2, 1 << 20),
                    a.integer("max-length", d.maxLength(), 2, 1 << 20));
        }
    }

    private FidelityCommand() {}

    static void main(String[] args, PrintStream out) {
        EvalArgs a = new EvalArgs(args, OPTIONS);
        Settings settings = Settings.from(a);
        Path modelDir = a.modelDir("model", null);
        Path outDir = a.path("out", null);
        try (EvalModel model = EvalModel.load(modelDir)) {
            List<FidelityRow> rows = run(model, settings, out);
            if (outDir != null) {
                ResultFiles.write(outDir, "fidelity", rows);
                Charts.fidelity(outDir.resolve("fidelity.png"), rows);
            }
        }
    }

    public static List<FidelityRow> run(EvalModel model, Settings s, PrintStream out) {
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
