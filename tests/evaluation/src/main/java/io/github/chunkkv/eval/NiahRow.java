package io.github.chunkkv.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/** NIAH exact-match accuracy of one policy at one KV budget on one task, over every length, depth and sample. */
public record NiahRow(String policy, int budget, String task, double accuracy, int cases) implements ResultRow {
    @Override
    public String kind() {
        return "niah";
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("policy", policy);
        f.put("budget", budget);
        f.put("task", task);
        f.put("accuracy", accuracy);
        f.put("cases", cases);
        return f;
    }
}
