package io.github.chunkkv.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One policy's multi-turn summary, means over cases and turns.
 *
 * @param accuracy mean accuracy over turns
 * @param minTurnAccuracy the accuracy of its worst turn
 * @param hotKvFraction hot KV bytes / FullKV bytes
 * @param residentKvFraction hot bytes plus the cold tier's heap bytes, over FullKV bytes
 * @param reselectMs re-selection time per turn (recall statistics; without recall the turn prefill's compression time)
 * @param prefillMs time of the first prefill (turns: context and first question; requests: the context alone)
 * @param decodeMsPerToken decoding time of all answers over their tokens
 */
public record MultiturnRow(String mode, String policy, double accuracy, double minTurnAccuracy, double hotKvFraction, double residentKvFraction,
        double reselectMs, double prefillMs, double decodeMsPerToken, int cases, int turns) implements ResultRow {

    static MultiturnRow of(MultiturnMode mode, String policy, List<MultiturnEval.CaseOutcome> outcomes) {
        List<MultiturnEval.Turn> all = outcomes.stream().flatMap(o -> o.turns().stream()).toList();
        int turns = outcomes.get(0).turns().size();
        double worst = 1;
        for (int t = 0; t < turns; t++) {
            int turn = t;
            worst = Math.min(worst, outcomes.stream().filter(o -> o.turns().get(turn).correct()).count() / (double) outcomes.size());
        }
        return new MultiturnRow(mode.label(), policy, all.stream().filter(MultiturnEval.Turn::correct).count() / (double) all.size(), worst,
                all.stream().mapToDouble(MultiturnEval.Turn::hotKvFraction).average().orElseThrow(),
                all.stream().mapToDouble(MultiturnEval.Turn::residentKvFraction).average().orElseThrow(),
                all.stream().mapToLong(MultiturnEval.Turn::selectNanos).average().orElseThrow() / 1e6,
                outcomes.stream().mapToLong(MultiturnEval.CaseOutcome::firstPrefillNanos).average().orElseThrow() / 1e6,
                all.stream().mapToLong(MultiturnEval.Turn::decodeNanos).sum() / 1e6 / Math.max(1, all.stream().mapToInt(MultiturnEval.Turn::answerTokens).sum()),
                outcomes.size(), turns);
    }

    @Override
    public String kind() {
        return "multiturn";
    }

    @Override
    public Map<String, Object> lineFields() {
        return ResultRow.only(fields(), List.of("mode", "policy", "accuracy", "hot_kv_fraction", "reselect_ms", "prefill_ms"));
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("mode", mode);
        f.put("policy", policy);
        f.put("accuracy", accuracy);
        f.put("hot_kv_fraction", hotKvFraction);
        f.put("reselect_ms", reselectMs);
        f.put("prefill_ms", prefillMs);
        f.put("min_turn_accuracy", minTurnAccuracy);
        f.put("resident_kv_fraction", residentKvFraction);
        f.put("decode_ms_per_token", decodeMsPerToken);
        f.put("cases", cases);
        f.put("turns", turns);
        return f;
    }
}
