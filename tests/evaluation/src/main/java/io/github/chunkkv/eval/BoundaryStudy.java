package io.github.chunkkv.eval;

import io.github.chunkkv.cli.ExitCodes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
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
    record Split(String policy, int crossingCorrect, int crossing, int otherCorrect, int other) {}

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
            boolean[] crossing = new boolean[eval.cases().size()];
            int crossingCount = 0;
            for (int i = 0; i < crossing.length; i++) {
                crossing[i] = crossesGrid(model, eval.cases().get(i));
                if (crossing[i]) crossingCount++;
            }
            out.printf(Locale.ROOT, "model %s, budget %d, chunk grid %d, %d cases (tasks single+multikey, lengths %s, 11 depths, %d sample(s) each)%n",
                    modelDir.getFileName(), budget, chunk, crossing.length, lens, samples);
            out.printf(Locale.ROOT, "answer span (value tokens%s) crosses a grid line in %d of %d cases (%.1f%%)%n%n",
                    valuesOnly ? "" : " + period", crossingCount, crossing.length, 100.0 * crossingCount / crossing.length);
            out.println("| policy | span crosses a grid line | span inside one chunk | all |");
            out.println("|---|---|---|---|");
            for (String policy : specs) {
                List<NiahEval.Outcome> outcomes = eval.answers(PolicyList.withBudget(policy, budget));
                Split s = split(policy, outcomes, crossing);
                out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", policy, cell(s.crossingCorrect(), s.crossing()), cell(s.otherCorrect(), s.other()),
                        cell(s.crossingCorrect() + s.otherCorrect(), s.crossing() + s.other()));
                out.flush();
            }
        }
        return ExitCodes.OK;
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
    boolean crossesGrid(EvalModel model, NiahCase c) {
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
