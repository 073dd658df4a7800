package io.github.chunkkv.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes small random-weight Llama and Qwen2 models as real Jlama model folders (config.json, model.safetensors,
 * tokenizer.json, tokenizer_config.json). For exactness tests only: random weights say nothing about quality.
 */
public final class TinyModels {
    /** The character vocabulary after the three special tokens: text made of these encodes one token per char. */
    public static final String CHARS = " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;?!'\"-()\n";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyModels() {}

    /** Shape of a tiny model. */
    public record Spec(String modelType, int layers, int dim, int heads, int kvHeads, int hidden, int context, boolean qkvBias, long seed) {
        public int vocab() {
            return 3 + CHARS.length();
        }
    }

    /** 3 layers, dim 128, 8 query heads over 4 KV heads (GQA). Head size 16: stock Jlama's SIMD needs >= 16. */
    public static Spec llama() {
        return new Spec("llama", 3, 128, 8, 4, 192, 1024, false, 7);
    }

    /** Qwen2-style: q/k/v projections with biases. */
    public static Spec qwen2() {
        return new Spec("qwen2", 2, 64, 4, 2, 96, 1024, true, 11);
    }

    /** Multi-head (no GQA) Llama. */
    public static Spec llamaMha() {
        return new Spec("llama", 2, 64, 4, 4, 96, 512, false, 13);
    }

    public static AbstractModel load(Path dir) {
        return ModelSupport.loadModel(dir.toFile(), DType.F32, DType.F32);
    }

    /** Writes the model folder {@code dir} (created if needed) and returns it. */
    public static Path write(Spec s, Path dir) {
        try {
            Files.createDirectories(dir);
            Map<String, float[]> tensors = new LinkedHashMap<>();
            Map<String, int[]> shapes = new LinkedHashMap<>();
            generate(s, tensors, shapes);
            writeSafetensors(dir.resolve("model.safetensors"), tensors, shapes);
            writeConfig(s, dir);
            writeTokenizer(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The weights {@link #write} stores, by HF name (deterministic in the spec's seed). */
    public static Map<String, float[]> weights(Spec s) {
        Map<String, float[]> tensors = new LinkedHashMap<>();
        generate(s, tensors, new LinkedHashMap<>());
        return tensors;
    }

    private static void generate(Spec s, Map<String, float[]> tensors, Map<String, int[]> shapes) {
        Random rnd = new Random(s.seed());
        int headSize = s.dim() / s.heads();
        int kvDim = s.kvHeads() * headSize;
        put(tensors, shapes, "model.embed_tokens.weight", random(rnd, s.vocab() * s.dim(), 1.0f), s.vocab(), s.dim());
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            float w = (float) (1.0 / Math.sqrt(s.dim()));
            put(tensors, shapes, p + "self_attn.q_proj.weight", random(rnd, s.dim() * s.dim(), 2 * w), s.dim(), s.dim());
            put(tensors, shapes, p + "self_attn.k_proj.weight", random(rnd, kvDim * s.dim(), 2 * w), kvDim, s.dim());
            put(tensors, shapes, p + "self_attn.v_proj.weight", random(rnd, kvDim * s.dim(), w), kvDim, s.dim());
            put(tensors, shapes, p + "self_attn.o_proj.weight", random(rnd, s.dim() * s.dim(), w), s.dim(), s.dim());
            if (s.qkvBias()) {
                put(tensors, shapes, p + "self_attn.q_proj.bias", random(rnd, s.dim(), 0.1f), s.dim());
                put(tensors, shapes, p + "self_attn.k_proj.bias", random(rnd, kvDim, 0.1f), kvDim);
                put(tensors, shapes, p + "self_attn.v_proj.bias", random(rnd, kvDim, 0.1f), kvDim);
            }
            put(tensors, shapes, p + "mlp.gate_proj.weight", random(rnd, s.hidden() * s.dim(), w), s.hidden(), s.dim());
            put(tensors, shapes, p + "mlp.up_proj.weight", random(rnd, s.hidden() * s.dim(), w), s.hidden(), s.dim());
            put(tensors, shapes, p + "mlp.down_proj.weight", random(rnd, s.dim() * s.hidden(), (float) (1.0 / Math.sqrt(s.hidden()))), s.dim(), s.hidden());
            put(tensors, shapes, p + "input_layernorm.weight", ones(rnd, s.dim()), s.dim());
            put(tensors, shapes, p + "post_attention_layernorm.weight", ones(rnd, s.dim()), s.dim());
        }
        put(tensors, shapes, "model.norm.weight", ones(rnd, s.dim()), s.dim());
        put(tensors, shapes, "lm_head.weight", random(rnd, s.vocab() * s.dim(), (float) (4.0 / Math.sqrt(s.dim()))), s.vocab(), s.dim());
    }

    private static void put(Map<String, float[]> t, Map<String, int[]> shapes, String name, float[] data, int... shape) {
        t.put(name, data);
        shapes.put(name, shape);
    }

    private static float[] random(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    private static float[] ones(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = 1f + (float) (rnd.nextGaussian() * 0.1);
        return a;
    }

    /** The safetensors format: little-endian u64 header length, JSON header, raw little-endian data. */
    public static void writeSafetensors(Path file, Map<String, float[]> tensors, Map<String, int[]> shapes) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (var e : tensors.entrySet()) {
            long bytes = 4L * e.getValue().length;
            header.put(e.getKey(), Map.of("dtype", "F32", "shape", shapes.get(e.getKey()), "data_offsets", List.of(offset, offset + bytes)));
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, json.length));
            ch.write(ByteBuffer.wrap(json));
            for (float[] data : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(data);
                ch.write(b);
            }
        }
    }

    private static void writeConfig(Spec s, Path dir) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", s.modelType());
        c.put("architectures", List.of(s.modelType().equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
        c.put("hidden_size", s.dim());
        c.put("intermediate_size", s.hidden());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("num_hidden_layers", s.layers());
        c.put("max_position_embeddings", s.context());
        c.put("rms_norm_eps", 1e-5);
        c.put("vocab_size", s.vocab());
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("hidden_act", "silu");
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", false);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), c);
    }

    private static void writeTokenizer(Path dir) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        CHARS.codePoints().forEach(cp -> vocab.put(Character.toString(cp), vocab.size()));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("unk_token", "<unk>");
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", List.of());
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("version", "1.0");
        tok.put("added_tokens", List.of(
                Map.of("id", 0, "content", "<unk>", "special", true),
                Map.of("id", 1, "content", "<s>", "special", true),
                Map.of("id", 2, "content", "</s>", "special", true)));
        tok.put("model", model);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer.json").toFile(), tok);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("bos_token", "<s>");
        cfg.put("eos_token", "</s>");
        cfg.put("chat_template", "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}");
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(cfg), StandardCharsets.UTF_8);
    }
}
