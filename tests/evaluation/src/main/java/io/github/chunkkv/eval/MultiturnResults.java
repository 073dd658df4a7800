package io.github.chunkkv.eval;

import java.util.List;

/** A multi-turn run: accuracy per (mode, policy, turn) and one summary per (mode, policy). */
public record MultiturnResults(List<MultiturnTurnRow> turns, List<MultiturnRow> summaries) {
    public MultiturnResults {
        turns = List.copyOf(turns);
        summaries = List.copyOf(summaries);
    }
}
