package io.github.chunkkv.eval;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fidelity of compressed caches to FullKV. For each prompt FullKV's greedy continuation of {@code steps} tokens is
 * the reference; each policy prefills the same prompt (compressing it) and is then teacher-forced along the
 * reference. Until its argmax first differs, its own greedy continuation is the reference itself, so one
 * teacher-forced pass gives both the first divergence and the top-1 agreement.
 */
public final class FidelityEval {
    private final EvalModel model;
    private final List<int[]> prompts;
    private final int steps;
    private final List<Reference> references = new ArrayList<>();

    /** FullKV's continuation of one prompt and the logits behind each of its tokens. */
    private record Reference(int[] tokens, float[][] logits) {}

    public FidelityEval(EvalModel model, List<int[]> prompts, int steps) {
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        for (int[] p : prompts) {
            if (p.length + steps > model.maxPositions()) {
                throw new IllegalArgumentException("a prompt of " + p.length + " tokens + " + steps + " steps exceeds the model's " + model.maxPositions() + " positions");
            }
        }
        this.model = model;
        this.prompts = List.copyOf(prompts);
        this.steps = steps;
        if (!prompts.isEmpty()) model.warmUp(prompts.get(0), steps - 1);
        for (int[] p : prompts) references.add(reference(p));
    }

    public List<int[]> prompts() {
        return prompts;
    }

    /** One row per policy spec and keep ratio, in the given order; each row is handed to {@code onRow} when done. */
    public List<FidelityRow> run(List<String> policies, List<Double> keeps, Consumer<FidelityRow> onRow) {
        List<FidelityRow> rows = new ArrayList<>();
        FidelityRow fullKv = null;
        for (String spec : policies) {
            for (double keep : keeps) {
                ChunkKvConfig config = PolicyList.withKeep(spec, keep);
                FidelityRow row;
                if (config.isFull() && fullKv != null) { // FullKV ignores the keep ratio: measure it once
                    row = new FidelityRow(spec, keep, fullKv.top1Agree(), fullKv.top1StdErr(), fullKv.firstDivergence(), fullKv.kl(), fullKv.keptFraction(),
                            fullKv.compressMs(), fullKv.prompts(), fullKv.steps());
                } else {
                    row = measure(spec, config, keep);
                    if (config.isFull()) fullKv = row;
                }
                rows.add(row);
                onRow.accept(row);
            }
        }
        return rows;
    }

    /** The row of one configuration, labelled with {@code policy} and {@code keep}. */
    public FidelityRow measure(String policy, ChunkKvConfig config, double keep) {
        double first = 0, kl = 0, kept = 0, compressMs = 0;
        double[] top1 = new double[prompts.size()];
        for (int i = 0; i < prompts.size(); i++) {
            Reference ref = references.get(i);
            int[] prompt = prompts.get(i);
            try (KvSession s = model.openSession(config)) {
                float[] logits = s.prefill(prompt);
                kept += s.lastStats().keptTotal() / ((double) prompt.length * s.layers());
                compressMs += s.lastStats().compressNanos() / 1e6;
                int agree = 0, divergence = -1;
                double klSum = 0;
                for (int t = 0; t < steps; t++) {
                    boolean same = Sampler.argmax(logits) == ref.tokens()[t];
                    if (same) agree++;
                    else if (divergence < 0) divergence = t;
                    klSum += Distributions.kl(ref.logits()[t], logits);
                    if (t + 1 < steps) logits = s.decode(ref.tokens()[t]);
                }
                top1[i] = (double) agree / steps;
                first += (divergence < 0 ? steps : divergence) / (double) steps;
                kl += klSum / steps;
            }
        }
        int n = prompts.size();
        double mean = Arrays.stream(top1).average().orElse(Double.NaN);
        double variance = n < 2 ? 0 : Arrays.stream(top1).map(v -> (v - mean) * (v - mean)).sum() / (n - 1);
        return new FidelityRow(policy, keep, mean, Math.sqrt(variance / n), first / n, kl / n, kept / n, compressMs / n, n, steps);
    }

    private Reference reference(int[] prompt) {
        int[] tokens = new int[steps];
        float[][] logits = new float[steps][];
        try (KvSession s = model.openSession(ChunkKvConfig.full())) {
            logits[0] = s.prefill(prompt);
            for (int t = 0; t < steps; t++) {
                tokens[t] = Sampler.argmax(logits[t]);
                if (t + 1 < steps) logits[t + 1] = s.decode(tokens[t]);
            }
        }
        return new Reference(tokens, logits);
    }
}
