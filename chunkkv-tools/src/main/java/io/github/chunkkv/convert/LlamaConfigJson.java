package io.github.chunkkv.convert;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HF-style config.json of a plain Llama or Qwen2 (SiLU, RMSNorm, RoPE theta 10000) as Jlama's LlamaConfig and
 * Qwen2Config read it.
 */
public final class LlamaConfigJson {
    private LlamaConfigJson() {}

    /** {@code modelType} is {@code llama}, {@code qwen2} (adds q/k/v biases, which live in the weights) or {@code gemma}. */
    public static Map<String, Object> of(String modelType, int dim, int hidden, int heads, int kvHeads, int layers, int context, int vocab,
            boolean tiedEmbeddings) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", modelType);
        c.put("architectures", List.of(switch (modelType) {
            case "llama" -> "LlamaForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            case "gemma" -> "GemmaForCausalLM"; // same fields; lets tests check that unsupported architectures are refused
            default -> throw new IllegalArgumentException("modelType must be llama, qwen2 or gemma, got " + modelType);
        }));
        c.put("hidden_size", dim);
        c.put("intermediate_size", hidden);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("num_hidden_layers", layers);
        c.put("max_position_embeddings", context);
        c.put("rms_norm_eps", 1e-5);
        c.put("vocab_size", vocab);
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("hidden_act", "silu");
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", tiedEmbeddings);
        c.put("torch_dtype", "float32");
        return c;
    }
}
