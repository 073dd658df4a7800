package io.github.chunkkv.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How closely a compressed cache follows FullKV over the next {@code steps} tokens, averaged over prompts.
 *
 * @param top1Agree fraction of steps whose argmax equals FullKV's token, teacher-forced on FullKV's greedy continuation
 * @param top1StdErr standard error of {@code top1Agree} over prompts (how much of a gap between policies is noise)
 * @param firstDivergence fraction of steps before the policy's greedy continuation first differs from FullKV's
 * @param kl mean KL(FullKV || policy) of the next-token distributions over the steps, nats
 * @param keptFraction mean fraction of the prompt's cache positions kept (all layers)
 * @param compressMs mean time the prefill spent compressing (scoring, selection, compaction), milliseconds
 */
public record FidelityRow(String policy, double keep, double top1Agree, double top1StdErr, double firstDivergence, double kl, double keptFraction,
        double compressMs, int prompts, int steps) implements ResultRow {
    /**
     * Top-1 agreement as agreeing steps of all {@code prompts × steps}, with its 95% Wilson interval. The interval counts
     * steps as independent trials; steps of one prompt are correlated, so it is narrower than the spread over prompts
     * ({@code top1StdErr}) and reads as a lower bound on the uncertainty.
     */
    public Proportion top1() {
        int trials = prompts * steps;
        return Proportion.of((int) Math.round(top1Agree * trials), trials);
    }

    @Override
    public String kind() {
        return "fidelity";
    }

    @Override
    public Map<String, Object> lineFields() {
        Map<String, Object> f = fields();
        f.keySet().removeAll(List.of("top1_ci95_low", "top1_ci95_high"));
        return f;
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("policy", policy);
        f.put("keep", keep);
        f.put("top1_agree", top1Agree);
        Proportion top1 = top1();
        f.put("top1_ci95_low", top1.low());
        f.put("top1_ci95_high", top1.high());
        f.put("first_divergence", firstDivergence);
        f.put("kl", kl);
        f.put("top1_se", top1StdErr);
        f.put("kept_fraction", keptFraction);
        f.put("compress_ms", compressMs);
        f.put("prompts", prompts);
        f.put("steps", steps);
        return f;
    }
}
