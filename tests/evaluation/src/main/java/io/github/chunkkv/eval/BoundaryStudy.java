package io.github.chunkkv.eval;

import io.github.chunkkv.cli.ExitCodes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Chunk-boundary study: on the NIAH cases of {@code eval niah} (same builder, same seed), how often the asked needle's
 * answer span crosses a line of the fixed chunk grid (multiples of {@code --chunk} from position 0, as ChunkKV cuts
 * the cache), and each policy's accuracy on the cases that cross and on those that do not. The span is the value
 * tokens and the closing period (needle-lm reads it to stop), or the value tokens alone with {@code --values-only}
 * (needle-ctl never reads the period).
 */
@Command(name = "boundary-study",
        description = "NIAH accuracy split by whether the needle's answer span crosses a fixed chunk-grid line.")
public final class BoundaryStudy implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Jlama model folder (needle-lm or needle-ctl)")
    Path modelDir;

    @Option(names = "--policies", defaultValue = "chunkkv,chunkkv-shift,chunkkv-slide",
            description = "policy names, comma-separated, or specs without a size separated by ';' (default: ${DEFAULT-VALUE})")
    String policies;

    @Option(names = "--budget", defaultValue = "128", description = "KV budget in tokens, window included (default: ${DEFAULT-VALUE})")
    int budget;

    @Option(names = "--chunk", defaultValue = "10", description = "chunk size of the grid whose lines are counted (default: ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--values-only", description = "the answer span is the value tokens alone, without the closing period (for needle-ctl)")
    boolean valuesOnly;

    @Option(names = "--samples", defaultValue = "1", description = "prompts per (task, length, depth) cell (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--lengths", split = ",", description = "prompt lengths in tokens (default: those of eval niah)")
    List<Integer> lengths;

    @Option(names = "--seed", defaultValue = "7", description = "seed of haystack offsets, keys and values, as eval niah's (default: ${DEFAULT-VALUE})")
    long seed;

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(ExitCodes.execute(new BoundaryStudy(), args, System.out, System.err));
    }

    /** Outcomes of one policy split by whether the span crosses a grid line. */
    record Split(String policy, int crossingCorrect, int crossing, int otherCorrect, int other) {
        Proportion all() {
            return Proportion.of(crossingCorrect + otherCorrect, crossing + other);
        }
    }

    /** The study on one set of cases: how many answer spans cross a grid line, and each policy's split. */
    record Result(int budget, int chunk, boolean valuesOnly, int cases, int crossing, List<Split> splits) {}

    @Override
    public Integer call() {
        if (chunk < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--chunk must be >= 1, got " + chunk);
        if (samples < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--samples must be >= 1, got " + samples);
        List<String> specs = PolicyList.parseList(policies);
        PrintWriter out = spec.commandLine().getOut();
        try (EvalModel model = EvalModel.load(modelDir)) {
            NiahCaseBuilder builder = new NiahCaseBuilder(model, Haystack.load(modelDir.resolve("haystack-nt.txt")), seed);
            List<NiahTask> tasks = List.of(NiahTask.values());
            List<Integer> lens = lengths != null ? lengths : NiahCommand.defaultLengths(model, builder, tasks, 4);
            NiahEval eval = new NiahEval(model, NiahEval.grid(builder, tasks, lens, NiahCommand.DEFAULT_DEPTHS, samples));
            out.printf(Locale.ROOT, "model %s, budget %d, chunk grid %d, %d cases (tasks single+multikey, lengths %s, 11 depths, %d sample(s) each)%n",
                    modelDir.getFileName(), budget, chunk, eval.cases().size(), lens, samples);
            out.println("| policy | span crosses a grid line | span inside one chunk | all |");
            out.println("|---|---|---|---|");
            Result r = run(model, eval, specs, budget, chunk, valuesOnly, s -> {
                out.println(row(s));
                out.flush();
            });
            out.printf(Locale.ROOT, "%nanswer span (value tokens%s) crosses a grid line in %d of %d cases (%.1f%%)%n",
                    valuesOnly ? "" : " + period", r.crossing(), r.cases(), 100.0 * r.crossing() / r.cases());
        }
        return ExitCodes.OK;
    }

    /**
     * Each policy at {@code budget} on the cases of {@code eval}, split by whether the asked needle's answer span
     * crosses a line of the {@code chunk} grid; {@code onSplit} sees each policy's split as it is done.
     */
    static Result run(EvalModel model, NiahEval eval, List<String> policies, int budget, int chunk, boolean valuesOnly, Consumer<Split> onSplit) {
        boolean[] crossing = new boolean[eval.cases().size()];
        int crossingCount = 0;
        for (int i = 0; i < crossing.length; i++) {
            crossing[i] = crossesGrid(model, eval.cases().get(i), chunk, valuesOnly);
            if (crossing[i]) crossingCount++;
        }
        List<Split> splits = new ArrayList<>();
        for (String policy : policies) {
            Split s = split(policy, eval.answers(PolicyList.withBudget(policy, budget)), crossing);
            splits.add(s);
            onSplit.accept(s);
        }
        return new Result(budget, chunk, valuesOnly, crossing.length, crossingCount, splits);
    }

    /** One markdown table row: policy, crossing, inside one chunk, all. */
    static String row(Split s) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %s |", s.policy(), cell(s.crossingCorrect(), s.crossing()), cell(s.otherCorrect(), s.other()),
                cell(s.crossingCorrect() + s.otherCorrect(), s.crossing() + s.other()));
    }

    static Split split(String policy, List<NiahEval.Outcome> outcomes, boolean[] crossing) {
        int cc = 0, cn = 0, oc = 0, on = 0;
        for (int i = 0; i < outcomes.size(); i++) {
            boolean ok = outcomes.get(i).correct();
            if (crossing[i]) {
                cn++;
                if (ok) cc++;
            } else {
                on++;
                if (ok) oc++;
            }
        }
        return new Split(policy, cc, cn, oc, on);
    }

    /** True when the asked needle's answer span [first value token, last value token or period] crosses a multiple of chunk. */
    static boolean crossesGrid(EvalModel model, NiahCase c, int chunk, boolean valuesOnly) {
        int[] value = model.encode(" " + c.value());
        int first = indexOf(c.tokens(), value, Math.max(0, c.needleStart() - 2));
        if (first < 0) throw new IllegalStateException("value '" + c.value() + "' not found after token " + c.needleStart());
        int last = first + value.length - (valuesOnly ? 1 : 0);
        return first / chunk != last / chunk;
    }

    static int indexOf(int[] tokens, int[] part, int from) {
        outer:
        for (int i = from; i + part.length <= tokens.length; i++) {
            for (int j = 0; j < part.length; j++) if (tokens[i + j] != part[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** "k/n = acc [lo, hi]" with the 95% Wilson score interval. */
    static String cell(int k, int n) {
        return n == 0 ? "–" : k + "/" + n + " = " + Proportion.of(k, n).describe();
    }
}
