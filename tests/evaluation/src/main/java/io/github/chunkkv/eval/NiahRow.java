package io.github.chunkkv.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NIAH exact-match accuracy of one policy at one KV budget on one task, over every length, depth and sample:
 * {@code correct} of {@code cases}, stored with its 95% Wilson interval.
 */
public record NiahRow(String policy, int budget, String task, int correct, int cases) implements ResultRow {
    public double accuracy() {
        return proportion().value();
    }

    public Proportion proportion() {
        return Proportion.of(correct, cases);
    }

    @Override
    public String kind() {
        return "niah";
    }

    @Override
    public Map<String, Object> lineFields() {
        return ResultRow.only(fields(), List.of("policy", "budget", "task", "accuracy", "cases"));
    }

    @Override
    public Map<String, Object> fields() {
        Proportion p = proportion();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("policy", policy);
        f.put("budget", budget);
        f.put("task", task);
        f.put("accuracy", p.value());
        f.put("ci95_low", p.low());
        f.put("ci95_high", p.high());
        f.put("correct", correct);
        f.put("cases", cases);
        return f;
    }
}
