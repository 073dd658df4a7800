package io.github.chunkkv.jlama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checks a Jlama model folder before Jlama opens it: config.json's shape fields against each other and against the
 * weights' tensor tables. Jlama 0.8.4 trusts both: a {@code vocab_size} above the embedding's rows crashes the JVM
 * (SIGSEGV while sampling), a zero {@code num_key_value_heads} divides by zero, a cut safetensors file fails with a
 * bare {@code BufferUnderflowException}. Every problem here is a {@link ModelFolderException} naming the file, the
 * field or tensor, and what was expected.
 */
public final class ModelFolderCheck {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelFolderCheck() {}

    /** Throws {@link ModelFolderException} for the first problem found; returns normally for a consistent folder. */
    public static void verify(Path dir) {
        check(dir);
    }

    /** As {@link #verify}; returns the attention settings of config.json that Jlama does not read. */
    static AttentionConfig check(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model path must be a Jlama model folder containing config.json, got " + dir);
        }
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFolderException(configFile, "missing: a Jlama model folder holds config.json, *.safetensors and tokenizer.json");
        }
        JsonNode config = readConfig(configFile);
        Shape shape = Shape.of(configFile, config);
        Map<String, SafetensorsHeader.Tensor> tensors = new HashMap<>();
        Map<String, Path> fileOf = new HashMap<>();
        for (Path file : safetensorsFiles(dir)) {
            SafetensorsHeader.read(file).forEach((name, t) -> {
                tensors.put(name, t);
                fileOf.put(name, file);
            });
        }
        shape.verify(tensors, fileOf);
        return AttentionConfig.read(configFile, config);
    }

    private static JsonNode readConfig(Path configFile) {
        try {
            JsonNode node = JSON.readTree(configFile.toFile());
            if (node == null || !node.isObject()) throw new ModelFolderException(configFile, "is not a JSON object");
            return node;
        } catch (IOException e) {
            throw new ModelFolderException(configFile, "is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static List<Path> safetensorsFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            if (found.isEmpty()) throw new ModelFolderException(dir, "holds no *.safetensors weights file");
            return found;
        } catch (IOException e) {
            throw new ModelFolderException(dir, "cannot be listed: " + e.getMessage(), e);
        }
    }

    /** The decoder shape config.json declares (Hugging Face field names, as Jlama reads them). */
    private record Shape(Path configFile, int hidden, int heads, int kvHeads, int layers, int vocab) {
        static Shape of(Path configFile, JsonNode config) {
            int hidden = positive(configFile, config, "hidden_size");
            int heads = positive(configFile, config, "num_attention_heads");
            int kvHeads = config.has("num_key_value_heads") ? positive(configFile, config, "num_key_value_heads") : heads;
            if (heads % kvHeads != 0) {
                throw new ModelFolderException(configFile, "field num_key_value_heads is " + kvHeads
                        + "; it must divide num_attention_heads (" + heads + ")");
            }
            if (hidden % heads != 0 && !config.has("head_dim")) {
                throw new ModelFolderException(configFile, "field hidden_size is " + hidden
                        + "; it must be a multiple of num_attention_heads (" + heads + ")");
            }
            return new Shape(configFile, hidden, heads, kvHeads, positive(configFile, config, "num_hidden_layers"),
                    positive(configFile, config, "vocab_size"));
        }

        private static int positive(Path configFile, JsonNode config, String field) {
            JsonNode v = config.get(field);
            if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
                throw new ModelFolderException(configFile, "field " + field + " must be an integer >= 1, got " + v);
            }
            return v.asInt();
        }

        void verify(Map<String, SafetensorsHeader.Tensor> tensors, Map<String, Path> fileOf) {
            int headSize = hidden / heads;
            matrix(tensors, fileOf, "model.embed_tokens.weight", vocab, "vocab_size", hidden, true);
            if (tensors.containsKey("lm_head.weight")) matrix(tensors, fileOf, "lm_head.weight", vocab, "vocab_size", hidden, true);
            String attention = "model.layers.0.self_attn.";
            matrix(tensors, fileOf, attention + "q_proj.weight", heads * headSize, "num_attention_heads", hidden, false);
            matrix(tensors, fileOf, attention + "k_proj.weight", kvHeads * headSize, "num_key_value_heads", hidden, false);
            String last = "model.layers." + (layers - 1) + ".self_attn.q_proj.weight";
            if (!tensors.containsKey(last)) {
                throw new ModelFolderException(configFile, "field num_hidden_layers is " + layers + " but the weights have no tensor " + last);
            }
        }

        /**
         * Checks a [rows, hidden] weight. The embedding and the output head may hold more rows than the vocabulary
         * (padding), never fewer: Jlama would read past them.
         */
        private void matrix(Map<String, SafetensorsHeader.Tensor> tensors, Map<String, Path> fileOf, String name, int rows,
                String rowField, int columns, boolean atLeastRows) {
            SafetensorsHeader.Tensor t = tensors.get(name);
            if (t == null) throw new ModelFolderException(configFile.resolveSibling("model.safetensors"), "has no tensor " + name);
            Path file = fileOf.get(name);
            if (t.shape().length != 2 || t.columns() != columns) {
                throw new ModelFolderException(configFile, "field hidden_size is " + hidden + " but tensor " + name + " in "
                        + file.getFileName() + " has shape " + Arrays.toString(t.shape()) + "; expected " + columns + " columns");
            }
            boolean fits = atLeastRows ? t.rows() >= rows : t.rows() == rows;
            if (!fits) {
                throw new ModelFolderException(configFile, "field " + rowField + " implies " + rows + " rows of " + name
                        + " but " + file.getFileName() + " holds " + t.rows() + (atLeastRows ? "; expected at least " : "; expected exactly ") + rows);
            }
        }
    }
}
