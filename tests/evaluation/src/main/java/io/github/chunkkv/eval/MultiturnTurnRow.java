package io.github.chunkkv.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accuracy of one policy at one turn of the multi-turn evaluation, over every case, with its 95% Wilson score
 * interval ({@link Proportion}).
 *
 * @param hotKvFraction mean over cases of hot KV bytes / FullKV bytes at this turn
 * @param residentKvFraction the same with the cold tier's heap bytes added to the hot bytes
 * @param promotedRows mean over cases of the rows (all layers) decode-time recall promoted while the answer was decoded
 */
public record MultiturnTurnRow(String mode, String policy, int turn, double accuracy, double hotKvFraction, double residentKvFraction,
        double promotedRows, double ciLow, double ciHigh, int cases) implements ResultRow {

    static MultiturnTurnRow of(MultiturnMode mode, String policy, int turn, List<MultiturnEval.Turn> outcomes) {
        int correct = (int) outcomes.stream().filter(MultiturnEval.Turn::correct).count();
        Proportion ci = Proportion.of(correct, outcomes.size());
        return new MultiturnTurnRow(mode.label(), policy, turn, correct / (double) outcomes.size(),
                outcomes.stream().mapToDouble(MultiturnEval.Turn::hotKvFraction).average().orElseThrow(),
                outcomes.stream().mapToDouble(MultiturnEval.Turn::residentKvFraction).average().orElseThrow(),
                outcomes.stream().mapToLong(MultiturnEval.Turn::promotedRows).average().orElseThrow(),
                ci.low(), ci.high(), outcomes.size());
    }

    /** The accuracy as correct cases of {@code cases}, with the interval stored in this row. */
    public Proportion proportion() {
        return new Proportion((int) Math.round(accuracy * cases), cases, ciLow, ciHigh);
    }

    @Override
    public String kind() {
        return "multiturn";
    }

    @Override
    public Map<String, Object> lineFields() {
        return ResultRow.only(fields(), List.of("mode", "policy", "turn", "accuracy", "hot_kv_fraction", "promoted_rows"));
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("mode", mode);
        f.put("policy", policy);
        f.put("turn", turn);
        f.put("accuracy", accuracy);
        f.put("hot_kv_fraction", hotKvFraction);
        f.put("resident_kv_fraction", residentKvFraction);
        f.put("promoted_rows", promotedRows);
        f.put("ci95_low", ciLow);
        f.put("ci95_high", ciHigh);
        f.put("cases", cases);
        return f;
    }
}
