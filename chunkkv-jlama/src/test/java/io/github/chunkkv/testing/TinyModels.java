package io.github.chunkkv.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import io.github.chunkkv.convert.HfTensors;
import io.github.chunkkv.convert.LlamaConfigJson;
import io.github.chunkkv.convert.PieceTokenizerJson;
import io.github.chunkkv.convert.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

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
            return PieceTokenizerJson.FIRST_PIECE + CHARS.length();
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

    /**
     * Writes the model folder {@code dir} with weights stored as {@code weights}: F32 as generated; F16 (every tensor,
     * as float16 checkpoints store them; Jlama's quantizer cannot write F16); BF16, Q4 or I8 through Jlama's own
     * quantizer ({@code SafeTensorSupport.quantizeModel}, as its command line does: norms stay unquantized), so the
     * folder is what a Jlama user downloads. Returns {@code dir}.
     */
    public static Path write(Spec s, Path dir, DType weights) {
        if (weights == DType.F32) return write(s, dir);
        if (weights == DType.F16) return write(s, dir, SafetensorsWriter.StoredType.F16);
        try {
            Path f32 = write(s, Files.createTempDirectory("tiny-f32-"));
            try {
                Files.writeString(f32.resolve("README.md"), "tiny random-weight model\n"); // the quantizer copies it
                return SafeTensorSupport.quantizeModel(f32, weights, new String[] {"norm"}, null, Optional.of(dir));
            } finally {
                try (Stream<Path> files = Files.list(f32)) {
                    for (Path f : files.toList()) Files.delete(f);
                }
                Files.delete(f32);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the model folder {@code dir} (created if needed) with F32 weights and returns it. */
    public static Path write(Spec s, Path dir) {
        return write(s, dir, SafetensorsWriter.StoredType.F32);
    }

    private static Path write(Spec s, Path dir, SafetensorsWriter.StoredType stored) {
        try {
            Files.createDirectories(dir);
            HfTensors tensors = new HfTensors();
            generate(s, tensors);
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, stored);
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(),
                    LlamaConfigJson.of(s.modelType(), s.dim(), s.hidden(), s.heads(), s.kvHeads(), s.layers(), s.context(), s.vocab(), false));
            PieceTokenizerJson.write(dir, CHARS.codePoints().mapToObj(Character::toString).toList());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites {@code folder}'s config.json after {@code edit} changed it (to test configs Jlama reads differently). */
    public static Path editConfig(Path folder, Consumer<ObjectNode> edit) {
        try {
            ObjectNode config = (ObjectNode) JSON.readTree(folder.resolve("config.json").toFile());
            edit.accept(config);
            JSON.writeValue(folder.resolve("config.json").toFile(), config);
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The weights {@link #write} stores, by HF name (deterministic in the spec's seed). */
    public static Map<String, float[]> weights(Spec s) {
        HfTensors tensors = new HfTensors();
        generate(s, tensors);
        Map<String, float[]> data = new LinkedHashMap<>();
        tensors.asMap().forEach((name, t) -> data.put(name, t.data()));
        return data;
    }

    private static void generate(Spec s, HfTensors tensors) {
        Random rnd = new Random(s.seed());
        int headSize = s.dim() / s.heads();
        int kvDim = s.kvHeads() * headSize;
        tensors.put("model.embed_tokens.weight", random(rnd, s.vocab() * s.dim(), 1.0f), s.vocab(), s.dim());
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            float w = (float) (1.0 / Math.sqrt(s.dim()));
            tensors.put(p + "self_attn.q_proj.weight", random(rnd, s.dim() * s.dim(), 2 * w), s.dim(), s.dim());
            tensors.put(p + "self_attn.k_proj.weight", random(rnd, kvDim * s.dim(), 2 * w), kvDim, s.dim());
            tensors.put(p + "self_attn.v_proj.weight", random(rnd, kvDim * s.dim(), w), kvDim, s.dim());
            tensors.put(p + "self_attn.o_proj.weight", random(rnd, s.dim() * s.dim(), w), s.dim(), s.dim());
            if (s.qkvBias()) {
                tensors.put(p + "self_attn.q_proj.bias", random(rnd, s.dim(), 0.1f), s.dim());
                tensors.put(p + "self_attn.k_proj.bias", random(rnd, kvDim, 0.1f), kvDim);
                tensors.put(p + "self_attn.v_proj.bias", random(rnd, kvDim, 0.1f), kvDim);
            }
            tensors.put(p + "mlp.gate_proj.weight", random(rnd, s.hidden() * s.dim(), w), s.hidden(), s.dim());
            tensors.put(p + "mlp.up_proj.weight", random(rnd, s.hidden() * s.dim(), w), s.hidden(), s.dim());
            tensors.put(p + "mlp.down_proj.weight", random(rnd, s.dim() * s.hidden(), (float) (1.0 / Math.sqrt(s.hidden()))), s.dim(), s.hidden());
            tensors.put(p + "input_layernorm.weight", ones(rnd, s.dim()), s.dim());
            tensors.put(p + "post_attention_layernorm.weight", ones(rnd, s.dim()), s.dim());
        }
        tensors.put("model.norm.weight", ones(rnd, s.dim()), s.dim());
        tensors.put("lm_head.weight", random(rnd, s.vocab() * s.dim(), (float) (4.0 / Math.sqrt(s.dim()))), s.vocab(), s.dim());
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
}
