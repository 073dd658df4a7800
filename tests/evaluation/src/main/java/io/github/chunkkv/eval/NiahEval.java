package io.github.chunkkv.eval;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import io.github.chunkkv.needle.NeedleFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Needle retrieval under a compressed cache: every case is prefilled (and compressed) with the policy, the answer is
 * decoded greedily, and scored by exact match of the extracted value. Outcomes are kept per configuration, so a
 * configuration asked for twice (FullKV at every budget, a spec that spells out a default such as
 * {@code chunkkv:reuse=1}) is decoded once.
 */
public final class NiahEval {
    private final EvalModel model;
    private final List<NiahCase> cases;
    private final Map<ChunkKvConfig, List<Outcome>> answered = new HashMap<>();

    /** The model's answer to one case. */
    public record Outcome(NiahCase c, String generated, String answer, boolean correct) {}

    public NiahEval(EvalModel model, List<NiahCase> cases) {
        if (cases.isEmpty()) throw new IllegalArgumentException("NIAH needs at least one case");
        this.model = model;
        this.cases = List.copyOf(cases);
    }

    /** The cases of one task, with the outcomes already decoded for them. */
    public NiahEval ofTask(NiahTask task) {
        NiahEval subset = new NiahEval(model, cases.stream().filter(c -> c.task() == task).toList());
        answered.forEach((config, outcomes) -> subset.answered.put(config, outcomes.stream().filter(o -> o.c().task() == task).toList()));
        return subset;
    }

    /** Cases for every task × length × depth × sample, in that order. */
    public static List<NiahCase> grid(NiahCaseBuilder builder, List<NiahTask> tasks, List<Integer> lengths, List<Double> depths, int samples) {
        if (samples < 1) throw new IllegalArgumentException("--samples must be >= 1, got " + samples);
        List<NiahCase> cases = new ArrayList<>();
        for (NiahTask task : tasks)
            for (int length : lengths)
                for (double depth : depths)
                    for (int s = 0; s < samples; s++) cases.add(builder.build(task, length, depth, s));
        return cases;
    }

    public List<NiahCase> cases() {
        return cases;
    }

    /** Rows per (policy, budget, task) and heatmap cells per (policy, budget, task, length, depth). */
    public NiahResults run(List<String> policies, List<Integer> budgets, Consumer<NiahRow> onRow) {
        List<NiahRow> rows = new ArrayList<>();
        List<NiahCell> cells = new ArrayList<>();
        for (String spec : policies) {
            for (int budget : budgets) {
                List<Outcome> outcomes = answers(PolicyList.withBudget(spec, budget));
                for (NiahTask task : tasks()) {
                    List<Outcome> ofTask = outcomes.stream().filter(o -> o.c().task() == task).toList();
                    NiahRow row = new NiahRow(spec, budget, task.label(), correct(ofTask), ofTask.size());
                    rows.add(row);
                    onRow.accept(row);
                    Map<String, List<Outcome>> byCell = new LinkedHashMap<>();
                    for (Outcome o : ofTask) byCell.computeIfAbsent(o.c().length() + "|" + o.c().depth(), k -> new ArrayList<>()).add(o);
                    for (List<Outcome> cell : byCell.values()) {
                        NiahCase c = cell.get(0).c();
                        cells.add(new NiahCell(spec, budget, task.label(), c.length(), c.depth(), correct(cell), cell.size()));
                    }
                }
            }
        }
        return new NiahResults(rows, cells);
    }

    /** The outcome of every case under {@code config}, in case order. */
    public List<Outcome> answers(ChunkKvConfig config) {
        return answered.computeIfAbsent(config.isFull() ? ChunkKvConfig.full() : config, this::compute);
    }

    public static int correct(List<Outcome> outcomes) {
        return (int) outcomes.stream().filter(Outcome::correct).count();
    }

    public static double accuracy(List<Outcome> outcomes) {
        return outcomes.isEmpty() ? Double.NaN : outcomes.stream().filter(Outcome::correct).count() / (double) outcomes.size();
    }

    private List<NiahTask> tasks() {
        return cases.stream().map(NiahCase::task).distinct().toList();
    }

    private List<Outcome> compute(ChunkKvConfig config) {
        List<Outcome> outcomes = new ArrayList<>(cases.size());
        for (NiahCase c : cases) {
            String generated = generate(config, c.tokens());
            String answer = NeedleFormat.answer(generated);
            outcomes.add(new Outcome(c, generated, answer, answer.equals(c.value())));
        }
        return outcomes;
    }

    private String generate(ChunkKvConfig config, int[] prompt) {
        int[] out = new int[NeedleFormat.MAX_ANSWER_TOKENS];
        int n = 0;
        try (KvSession s = model.openSession(config)) {
            float[] logits = s.prefill(prompt);
            while (n < out.length) {
                int next = Sampler.argmax(logits);
                if (model.isEos(next)) break;
                out[n++] = next;
                if (NeedleFormat.answerComplete(model.text().decode(out, 0, n)) || n == out.length) break;
                logits = s.decode(next);
            }
        }
        return model.text().decode(Arrays.copyOf(out, n));
    }
}
