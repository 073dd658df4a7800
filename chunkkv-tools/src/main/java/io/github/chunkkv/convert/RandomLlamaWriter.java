package io.github.chunkkv.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Writes a random-weight Llama model as a Jlama model folder (config.json, model.safetensors, tokenizer.json,
 * tokenizer_config.json) so the benchmark can run a realistically shaped model without downloading one. The weights
 * carry no meaning: this is for timing only. Tensors are generated and written one at a time, so memory stays at the
 * size of the largest tensor.
 */
public final class RandomLlamaWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RandomLlamaWriter() {}

    /** Shape of the model; head size = dim / heads. */
    public record Shape(int layers, int dim, int heads, int kvHeads, int hidden, int vocab, int context) {
        public Shape {
            require(layers >= 1, "layers must be >= 1, got " + layers);
            require(heads >= 1 && dim % heads == 0, "dim (" + dim + ") must be a positive multiple of heads (" + heads + ")");
            require((dim / heads) % 2 == 0 && dim / heads >= 16, "head size dim/heads must be even and >= 16 (Jlama's SIMD), got " + dim / heads);
            require(kvHeads >= 1 && heads % kvHeads == 0, "heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads + ")");
            require(hidden >= 1, "hidden must be >= 1, got " + hidden);
            require(vocab > 3, "vocab must be > 3 (three special tokens), got " + vocab);
            require(context >= 2, "context must be >= 2, got " + context);
        }

        /** The benchmark's default: GPT-2-small width with Llama GQA, 12 layers, dim 768, 12 query / 4 KV heads. */
        public static Shape realistic(int context) {
            return new Shape(12, 768, 12, 4, 2048, 4096, context);
        }

        public int headSize() {
            return dim / heads;
        }

        public int kvDim() {
            return kvHeads * headSize();
        }
    }

    private record Tensor(String name, int[] shape, float scale, boolean norm) {
        /** Uniform in [-a, a] has standard deviation a/sqrt(3): a = scale*sqrt(3) matches a Gaussian of std scale. */
        float[] fill(SplittableRandom rnd) {
            int n = 1;
            for (int d : shape) n = Math.multiplyExact(n, d);
            float a = (float) (scale * Math.sqrt(3));
            float[] data = new float[n];
            for (int i = 0; i < n; i++) {
                float x = (float) rnd.nextDouble(-a, a);
                data[i] = norm ? 1f + x : x;
            }
            return data;
        }
    }

    /** Writes the model folder {@code dir} (created if needed) and returns it. */
    public static Path write(Shape s, Path dir, long seed) {
        try {
            Files.createDirectories(dir);
            SplittableRandom rnd = new SplittableRandom(seed);
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors(s).stream()
                    .map(t -> new SafetensorsWriter.Entry(t.name(), t.shape(), () -> t.fill(rnd)))
                    .toList());
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(),
                    LlamaConfigJson.of("llama", s.dim(), s.hidden(), s.heads(), s.kvHeads(), s.layers(), s.context(), s.vocab(), false));
            // Opaque word tokens: enough for Jlama to load; the benchmark feeds token ids.
            PieceTokenizerJson.write(dir, IntStream.range(PieceTokenizerJson.FIRST_PIECE, s.vocab()).mapToObj(id -> "w" + id).toList());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the random model to " + dir, e);
        }
    }

    /** HF Llama tensor names and shapes; scales keep activations O(1) through many layers. */
    private static List<Tensor> tensors(Shape s) {
        float w = (float) (1.0 / Math.sqrt(s.dim()));
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("model.embed_tokens.weight", new int[] {s.vocab(), s.dim()}, 1f, false));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            t.add(new Tensor(p + "self_attn.q_proj.weight", new int[] {s.dim(), s.dim()}, 2 * w, false));
            t.add(new Tensor(p + "self_attn.k_proj.weight", new int[] {s.kvDim(), s.dim()}, 2 * w, false));
            t.add(new Tensor(p + "self_attn.v_proj.weight", new int[] {s.kvDim(), s.dim()}, w, false));
            t.add(new Tensor(p + "self_attn.o_proj.weight", new int[] {s.dim(), s.dim()}, w, false));
            t.add(new Tensor(p + "mlp.gate_proj.weight", new int[] {s.hidden(), s.dim()}, w, false));
            t.add(new Tensor(p + "mlp.up_proj.weight", new int[] {s.hidden(), s.dim()}, w, false));
            t.add(new Tensor(p + "mlp.down_proj.weight", new int[] {s.dim(), s.hidden()}, (float) (1.0 / Math.sqrt(s.hidden())), false));
            t.add(new Tensor(p + "input_layernorm.weight", new int[] {s.dim()}, 0.1f, true));
            t.add(new Tensor(p + "post_attention_layernorm.weight", new int[] {s.dim()}, 0.1f, true));
        }
        t.add(new Tensor("model.norm.weight", new int[] {s.dim()}, 0.1f, true));
        // Jlama reads lm_head.weight even for tied models, so it is always written.
        t.add(new Tensor("lm_head.weight", new int[] {s.vocab(), s.dim()}, 4 * w, false));
        return t;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
