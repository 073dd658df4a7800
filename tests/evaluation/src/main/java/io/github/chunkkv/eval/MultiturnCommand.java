package io.github.chunkkv.eval;

import io.github.chunkkv.config.ChunkKvConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eval multiturn}: accuracy per turn when several questions share one compressed context. */
@Command(name = "multiturn", sortOptions = false,
        description = "Multi-turn retrieval from one shared context (SCBench-style): K needles, each asked in its own turn (mode turns) "
                + "or as its own request from a snapshot of the context compressed once without a question (mode requests).")
public final class MultiturnCommand extends EvalSubcommand {
    static final List<String> DEFAULT_POLICIES = List.of("full", "chunkkv:keep=0.1", "chunkkv:keep=0.1,recall=ram", "chunkkv:keep=0.1,recall=disk",
            "snapkv:keep=0.1,recall=ram", "streamingllm:keep=0.1");

    @Mixin
    NeedleModelOptions needle;

    @Option(names = "--policy", paramLabel = "SPEC", description = "A policy spec; repeat for several (default: full; chunkkv:keep=0.1; chunkkv:keep=0.1,recall=ram; "
            + "chunkkv:keep=0.1,recall=disk; snapkv:keep=0.1,recall=ram; streamingllm:keep=0.1).")
    List<String> policies;

    @Option(names = "--turns", paramLabel = "K", description = "Needles in each context, one asked per turn (default 5).")
    Integer turns;

    @Option(names = "--lengths", paramLabel = "LIST", split = ",", description = "Lengths in tokens of the first turn's prompt (default 2048).")
    List<Integer> lengths;

    @Option(names = "--samples", paramLabel = "N", description = "Contexts per length (default 10).")
    Integer samples;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of haystack offsets, keys, values, depths and question order (default 7).")
    Integer seed;

    @Option(names = "--mode", paramLabel = "MODE", description = "turns, requests or both (default both).")
    String mode;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write multiturn.csv/.json, multiturn_turns.csv/.json and one chart per mode there.")
    Path outDir;

    /** What one multi-turn run needs; {@link #defaults} matches the documented defaults. */
    public record Settings(List<String> policies, int turns, List<Integer> lengths, int samples, long seed, List<MultiturnMode> modes) {
        public static Settings defaults() {
            return new Settings(DEFAULT_POLICIES, 5, List.of(2048), 10, 7, List.of(MultiturnMode.values()));
        }

        public Settings withSamples(int samples) {
            return new Settings(policies, turns, lengths, samples, seed, modes);
        }
    }

    /** The options given, checked, with the defaults for the rest. */
    Settings settings() {
        Settings d = Settings.defaults();
        if (policies != null) policies.forEach(ChunkKvConfig::parse); // a bad spec fails now, naming the parameter
        return new Settings(policies != null ? List.copyOf(policies) : d.policies(),
                turns != null ? OptionChecks.inRange("--turns", turns, 1, 32) : d.turns(),
                lengths != null ? OptionChecks.allInRange("--lengths", lengths, 64, 1 << 20) : d.lengths(),
                samples != null ? OptionChecks.inRange("--samples", samples, 1, 10_000) : d.samples(),
                seed != null ? OptionChecks.inRange("--seed", seed, 0, Integer.MAX_VALUE) : d.seed(),
                mode != null ? MultiturnMode.fromName(mode) : d.modes());
    }

    @Override
    void run(PrintWriter out) {
        Settings settings = settings();
        Path modelDir = needle.modelDir();
        Haystack filler = needle.haystack(modelDir);
        try (EvalModel evalModel = EvalModel.load(modelDir)) {
            MultiturnResults results = run(evalModel, filler, settings, out);
            if (outDir != null) write(outDir, outDir, results);
        }
    }

    public static MultiturnResults run(EvalModel model, Haystack haystack, Settings s, PrintWriter out) {
        return evaluator(model, haystack, s).run(s.modes(), s.policies(), row -> out.println(row.line()));
    }

    /** The cases: {@code samples} contexts per length, each holding {@code turns} needles. */
    public static MultiturnEval evaluator(EvalModel model, Haystack haystack, Settings s) {
        NiahCaseBuilder builder = new NiahCaseBuilder(model, haystack, s.seed());
        int reserved = MultiturnEval.reservedTokens(model, s.turns());
        List<MultiturnCase> cases = new ArrayList<>();
        for (int length : s.lengths()) for (int i = 0; i < s.samples(); i++) cases.add(builder.multiturn(s.turns(), length, i, reserved));
        return new MultiturnEval(model, cases);
    }

    /** CSV/JSON into {@code dataDir}; the accuracy-per-turn chart of each mode into {@code imageDir}. */
    static void write(Path dataDir, Path imageDir, MultiturnResults results) {
        ResultFiles.write(dataDir, "multiturn", results.summaries());
        ResultFiles.write(dataDir, "multiturn_turns", results.turns());
        for (String mode : results.turns().stream().map(MultiturnTurnRow::mode).distinct().toList()) {
            Charts.multiturn(imageDir.resolve("multiturn-" + mode + ".png"), results.turns(), mode);
        }
    }
}
