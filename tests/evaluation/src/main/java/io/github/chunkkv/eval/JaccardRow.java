package io.github.chunkkv.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Mean Jaccard similarity of the positions two adjacent layers keep (observation window excluded, since every layer
 * keeps it), over layer pairs and prompts: how much one layer's choice predicts the next one's (paper Table 2).
 */
public record JaccardRow(String policy, double keep, double jaccard, int layerPairs, int prompts) implements ResultRow {
    @Override
    public String kind() {
        return "reuse_jaccard";
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("policy", policy);
        f.put("keep", keep);
        f.put("jaccard", jaccard);
        f.put("layer_pairs", layerPairs);
        f.put("prompts", prompts);
        return f;
    }
}
