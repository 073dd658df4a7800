package io.github.chunkkv.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * NIAH accuracy of one heatmap cell (policy, budget, task, context length and needle depth): {@code correct} of
 * {@code samples}, stored with its 95% Wilson interval, which is wide: cells are few samples each.
 */
public record NiahCell(String policy, int budget, String task, int length, double depth, int correct, int samples) implements ResultRow {
    public double accuracy() {
        return correct / (double) samples;
    }

    @Override
    public String kind() {
        return "niah_cell";
    }

    @Override
    public Map<String, Object> fields() {
        Proportion p = Proportion.of(correct, samples);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("policy", policy);
        f.put("budget", budget);
        f.put("task", task);
        f.put("length", length);
        f.put("depth", depth);
        f.put("accuracy", p.value());
        f.put("ci95_low", p.low());
        f.put("ci95_high", p.high());
        f.put("samples", samples);
        return f;
    }
}
