package io.github.chunkkv.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/** NIAH accuracy of one heatmap cell: policy, budget, task, context length and needle depth. */
public record NiahCell(String policy, int budget, String task, int length, double depth, double accuracy, int samples) implements ResultRow {
    @Override
    public String kind() {
        return "niah_cell";
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("policy", policy);
        f.put("budget", budget);
        f.put("task", task);
        f.put("length", length);
        f.put("depth", depth);
        f.put("accuracy", accuracy);
        f.put("samples", samples);
        return f;
    }
}
