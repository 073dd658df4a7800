package io.github.chunkkv.jlama;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The attention settings of config.json that Jlama 0.8.4 does not read, which ChunkKV's attention applies: Llama 3
 * RoPE scaling and a sliding attention window (Mistral; Qwen2 only with {@code use_sliding_window}).
 *
 * @param llama3Rope the Llama 3 frequency scaling, if config.json asks for it
 * @param slidingWindow how many positions (itself included) a token attends to; 0 = unlimited
 */
record AttentionConfig(Optional<Llama3Rope> llama3Rope, int slidingWindow) {
    static final AttentionConfig NONE = new AttentionConfig(Optional.empty(), 0);

    static AttentionConfig read(Path configFile, JsonNode config) {
        return new AttentionConfig(llama3Rope(configFile, config), slidingWindow(configFile, config));
    }

    private static Optional<Llama3Rope> llama3Rope(Path configFile, JsonNode config) {
        JsonNode scaling = config.path("rope_scaling");
        if (!"llama3".equals(scaling.path("rope_type").asText(scaling.path("type").asText()))) return Optional.empty();
        try {
            return Optional.of(new Llama3Rope(config.path("rope_theta").asDouble(10000.0), number(configFile, scaling, "factor"),
                    number(configFile, scaling, "low_freq_factor"), number(configFile, scaling, "high_freq_factor"),
                    (int) number(configFile, scaling, "original_max_position_embeddings")));
        } catch (IllegalArgumentException e) {
            throw e instanceof ModelFolderException ? e : new ModelFolderException(configFile, "field rope_scaling: " + e.getMessage(), e);
        }
    }

    private static double number(Path configFile, JsonNode scaling, String field) {
        JsonNode v = scaling.get(field);
        if (v == null || !(v.isNumber() || v.isTextual() && v.asText().matches("[0-9.eE+-]+"))) {
            throw new ModelFolderException(configFile, "field rope_scaling." + field + " must be a number for rope_type llama3, got " + v);
        }
        return v.asDouble();
    }

    private static int slidingWindow(Path configFile, JsonNode config) {
        JsonNode window = config.get("sliding_window");
        if (window == null || window.isNull()) return 0;
        if ("qwen2".equals(config.path("model_type").asText()) && !config.path("use_sliding_window").asBoolean(false)) return 0;
        if (!window.canConvertToInt() || !window.isIntegralNumber() || window.asInt() < 1) {
            throw new ModelFolderException(configFile, "field sliding_window must be null or an integer >= 1, got " + window);
        }
        return window.asInt();
    }
}
