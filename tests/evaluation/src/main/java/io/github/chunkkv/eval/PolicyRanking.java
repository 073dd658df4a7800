package io.github.chunkkv.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Policies ordered by one measured value, best first, with values equal at the reported precision (3 decimals)
 * treated as ties; and how that order compares with the paper's. FullKV is the reference, not a contender. When the
 * values are proportions, it also says which gaps between neighbours in the order are significant: those whose 95%
 * Wilson intervals do not overlap ({@link Proportion#clearlyAbove}).
 */
public final class PolicyRanking {
    /** The paper's LongBench order at 10% KV (PyramidKV and SnapKV within 0.1 points: one tier). */
    public static final List<List<String>> PAPER_LONGBENCH = List.of(List.of("chunkkv"), List.of("pyramidkv", "snapkv"), List.of("h2o"), List.of("streamingllm"));
    /** The paper's NIAH order at KV 128 (LLaMA-3.1-8B). */
    public static final List<List<String>> PAPER_NIAH = List.of(List.of("chunkkv"), List.of("pyramidkv"), List.of("snapkv"), List.of("h2o"), List.of("streamingllm"));

    /** @param share the measured proportion, or null when the value is not one */
    private record Entry(String policy, double value, long level, Proportion share) {}

    private final List<Entry> bestFirst;

    private PolicyRanking(List<Entry> bestFirst) {
        this.bestFirst = bestFirst;
    }

    public static <R> PolicyRanking of(List<R> rows, Function<R, String> policy, ToDoubleFunction<R> value, boolean higherIsBetter) {
        return rank(rows, policy, value, higherIsBetter, r -> null);
    }

    /** Policies ordered by a share where higher is better (accuracy, agreement), with its intervals for {@link #significance()}. */
    public static <R> PolicyRanking ofShares(List<R> rows, Function<R, String> policy, Function<R, Proportion> share) {
        return rank(rows, policy, r -> share.apply(r).value(), true, share);
    }

    private static <R> PolicyRanking rank(List<R> rows, Function<R, String> policy, ToDoubleFunction<R> value, boolean higherIsBetter,
            Function<R, Proportion> share) {
        List<Entry> entries = new ArrayList<>();
        for (R r : rows) {
            if (policy.apply(r).equals("full")) continue;
            double v = value.applyAsDouble(r);
            long level = Math.round(v * 1000) * (higherIsBetter ? -1 : 1); // smaller level = better
            entries.add(new Entry(policy.apply(r), v, level, share.apply(r)));
        }
        entries.sort(Comparator.comparingLong(Entry::level));
        return new PolicyRanking(entries);
    }

    /**
     * Which steps of the order are significant: for each pair of neighbours with different values, whether the better
     * one's 95% Wilson interval lies wholly above the other's, e.g. "Significant (95% Wilson intervals disjoint):
     * chunkkv > snapkv. Within noise (intervals overlap): snapkv vs h2o." Empty when the values are not shares.
     */
    public String significance() {
        if (bestFirst.isEmpty() || bestFirst.get(0).share() == null) return "";
        List<String> significant = new ArrayList<>(), noise = new ArrayList<>();
        for (int i = 1; i < bestFirst.size(); i++) {
            Entry better = bestFirst.get(i - 1), worse = bestFirst.get(i);
            if (better.level() == worse.level()) continue;
            if (better.share().clearlyAbove(worse.share())) significant.add(better.policy() + " > " + worse.policy());
            else noise.add(better.policy() + " vs " + worse.policy());
        }
        if (significant.isEmpty() && noise.isEmpty()) return "";
        StringBuilder sb = new StringBuilder("Neighbouring gaps significant at 95% (Wilson intervals disjoint, a conservative test): ")
                .append(significant.isEmpty() ? "none" : String.join(", ", significant)).append('.');
        if (!noise.isEmpty()) sb.append(" Within noise (intervals overlap): ").append(String.join(", ", noise)).append('.');
        return sb.toString();
    }

    /** "best first: a 0.980 = b 0.980, c 0.977, ..." */
    public String describe() {
        StringBuilder sb = new StringBuilder("best first: ");
        for (int i = 0; i < bestFirst.size(); i++) {
            Entry e = bestFirst.get(i);
            if (i > 0) sb.append(bestFirst.get(i - 1).level() == e.level() ? " = " : ", ");
            sb.append(e.policy()).append(' ').append(ResultsReport.fmt(e.value()));
        }
        return sb.toString();
    }

    /**
     * Where ChunkKV lands and which of the paper's pairwise orderings the measurement contradicts; for shares, each
     * contradiction says whether it is significant (disjoint intervals) or within noise.
     */
    public String versusPaper(List<List<String>> paperTiers) {
        List<Entry> mine = bestFirst.stream().filter(e -> paperTiers.stream().anyMatch(t -> t.contains(e.policy()))).toList();
        if (mine.size() < 2) return "";
        if (mine.stream().map(Entry::level).distinct().count() == 1) {
            return "At this resolution the paper's policies do not separate, so the paper's order is neither confirmed nor contradicted.";
        }
        StringBuilder sb = new StringBuilder();
        Entry chunk = mine.stream().filter(e -> e.policy().equals("chunkkv")).findFirst().orElse(null);
        if (chunk != null) {
            long better = mine.stream().filter(e -> e.level() < chunk.level()).count();
            List<String> tied = mine.stream().filter(e -> e != chunk && e.level() == chunk.level()).map(Entry::policy).toList();
            sb.append("ChunkKV places ").append(better + 1).append(" of ").append(mine.size()).append(" among the paper's policies")
                    .append(tied.isEmpty() ? "" : " (tied with " + String.join(", ", tied) + ")").append(". ");
        }
        List<String> contradictions = new ArrayList<>();
        for (int i = 0; i < paperTiers.size(); i++) {
            for (int j = i + 1; j < paperTiers.size(); j++) {
                for (String hi : paperTiers.get(i)) {
                    for (String lo : paperTiers.get(j)) {
                        Entry a = find(mine, hi), b = find(mine, lo);
                        if (a != null && b != null && b.level() < a.level()) contradictions.add(lo + " beats " + hi + strength(b, a));
                    }
                }
            }
        }
        return sb.append(contradictions.isEmpty() ? "No pairwise ordering of the paper is contradicted."
                : "Contradicting the paper: " + contradictions.stream().collect(Collectors.joining(", ")) + ".").toString();
    }

    /** " (significant)" or " (within noise)" for a gap between shares; nothing for other values. */
    private static String strength(Entry better, Entry worse) {
        if (better.share() == null) return "";
        return better.share().clearlyAbove(worse.share()) ? " (significant)" : " (within noise)";
    }

    private static Entry find(List<Entry> entries, String policy) {
        return entries.stream().filter(e -> e.policy().equals(policy)).findFirst().orElse(null);
    }
}
