package io.github.chunkkv.eval;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.policy.PolicyRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * Policy lists given on the command line: each entry a name or a spec with parameters ({@code chunkkv:reuse=2});
 * the evaluation adds the cache size it sweeps (keep ratio or token budget).
 */
public final class PolicyList {
    /** Every registered policy, FullKV first. */
    public static final List<String> ALL = PolicyRegistry.names();

    private PolicyList() {}

    /** Splits a {@code ;}-separated list (commas separate spec parameters, so a plain comma list only holds names). */
    public static List<String> parseList(String value) {
        List<String> specs = new ArrayList<>();
        String[] parts = value.contains(":") ? value.split(";") : value.split(",");
        for (String part : parts) {
            if (part.isBlank()) continue;
            ChunkKvConfig.parse(part.trim()); // validates the name and parameters now, before any work
            specs.add(part.trim());
        }
        if (specs.isEmpty()) throw new IllegalArgumentException("--policies must name at least one of " + String.join(", ", ALL) + ", got '" + value + "'");
        return List.copyOf(specs);
    }

    public static ChunkKvConfig withKeep(String spec, double keep) {
        return ChunkKvConfig.parse(spec + (spec.contains(":") ? "," : ":") + "keep=" + keep);
    }

    public static ChunkKvConfig withBudget(String spec, int budget) {
        return ChunkKvConfig.parse(spec + (spec.contains(":") ? "," : ":") + "budget=" + budget);
    }
}
