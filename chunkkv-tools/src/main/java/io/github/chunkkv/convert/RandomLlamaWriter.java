package io.github.chunkkv.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

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
        long elements() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    /** Writes the model folder {@code dir} (created if needed) and returns it. */
    public static Path write(Shape s, Path dir, long seed) {
        try {
            Files.createDirectories(dir);
            writeSafetensors(dir.resolve("model.safetensors"), tensors(s), new SplittableRandom(seed));
            writeConfig(s, dir);
            writeTokenizer(s, dir);
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

    /** Safetensors: little-endian u64 header length, JSON header, then the raw little-endian F32 data in order. */
    private static void writeSafetensors(Path file, List<Tensor> tensors, SplittableRandom rnd) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (Tensor t : tensors) {
            long bytes = Float.BYTES * t.elements();
            header.put(t.name(), Map.of("dtype", "F32", "shape", t.shape(), "data_offsets", List.of(offset, offset + bytes)));
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, json.length));
            writeFully(ch, ByteBuffer.wrap(json));
            for (Tensor t : tensors) {
                ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(Float.BYTES * t.elements())).order(ByteOrder.LITTLE_ENDIAN);
                // Uniform in [-a, a] has standard deviation a/sqrt(3): a = scale*sqrt(3) matches a Gaussian of std scale.
                float a = (float) (t.scale() * Math.sqrt(3));
                for (long i = 0; i < t.elements(); i++) {
                    float x = (float) (rnd.nextDouble(-a, a));
                    data.putFloat(t.norm() ? 1f + x : x);
                }
                writeFully(ch, data.flip());
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static void writeConfig(Shape s, Path dir) throws IOException {
        Map<String, Object> c = LlamaConfigJson.of(s.dim(), s.hidden(), s.heads(), s.kvHeads(), s.layers(), s.context(), s.vocab(), false);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), c);
    }

    /** A BPE tokenizer with {@code vocab} opaque word tokens: enough for Jlama to load; the benchmark feeds token ids. */
    private static void writeTokenizer(Shape s, Path dir) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int id = 3; id < s.vocab(); id++) vocab.put("w" + id, id);
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
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(),
                Map.of("bos_token", "<s>", "eos_token", "</s>"));
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
