package io.github.chunkkv.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.model.llama.LlamaTokenizer;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.Weights;
import com.github.tjake.jlama.tensor.AbstractTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cImporterTest {
    // dim 32, 2 heads of 16, 1 KV head, hidden 44 (padded to 48), 2 layers, seq_len 64
    private static final int DIM = 32, HIDDEN = 44, LAYERS = 2, HEADS = 2, KV_HEADS = 1, SEQ = 64, HS = DIM / HEADS, KV_DIM = KV_HEADS * HS;
    private static final List<String> PIECES = Llama2cFiles.pieces(60, 3);
    private static final int VOCAB = Llama2cVocab.FIRST_PIECE + PIECES.size();

    @TempDir
    Path tmp;

    private Path checkpoint(boolean shared) throws IOException {
        Llama2cHeader h = new Llama2cHeader(DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ, shared);
        return Llama2cFiles.checkpoint(tmp.resolve("model.bin"), DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, shared ? VOCAB : -VOCAB, SEQ, h.floatCount());
    }

    private Path tokenizer() throws IOException {
        return Llama2cFiles.tokenizer(tmp.resolve("tok.bin"), PIECES);
    }

    /** The value the synthetic checkpoint stores at float index k. */
    private static float raw(long k) {
        return k * 0.001f;
    }

    @Test
    void weightsArriveUnderHfNamesWithRopeRowsPermuted() throws Exception {
        Path dir = Llama2cImporter.importModel(checkpoint(true), tokenizer(), tmp.resolve("out"));
        Weights w = SafeTensorSupport.readWeights(ByteBuffer.wrap(Files.readAllBytes(dir.resolve("model.safetensors"))).order(ByteOrder.LITTLE_ENDIAN));
        long embed = 0, rmsAtt = embed + (long) VOCAB * DIM, wq = rmsAtt + LAYERS * DIM, wk = wq + LAYERS * DIM * DIM;
        long wv = wk + LAYERS * KV_DIM * DIM, wo = wv + LAYERS * KV_DIM * DIM, rmsFfn = wo + LAYERS * DIM * DIM;
        long w1 = rmsFfn + LAYERS * DIM, w2 = w1 + LAYERS * HIDDEN * DIM, w3 = w2 + LAYERS * DIM * HIDDEN, rmsFinal = w3 + LAYERS * HIDDEN * DIM;

        int layer = 1;
        String p = "model.layers." + layer + ".";
        AbstractTensor q = w.load(p + "self_attn.q_proj.weight"), k = w.load(p + "self_attn.k_proj.weight");
        for (int head = 0; head < HEADS; head++) {
            for (int i = 0; i < HS / 2; i++) {
                for (int j = 0; j < 2; j++) {
                    int hfRow = head * HS + j * HS / 2 + i, l2cRow = head * HS + 2 * i + j;
                    for (int col : new int[] {0, 5, DIM - 1}) {
                        assertEquals(raw(wq + (long) layer * DIM * DIM + (long) l2cRow * DIM + col), q.get(hfRow, col), "q row " + hfRow);
                        if (head < KV_HEADS) assertEquals(raw(wk + (long) layer * KV_DIM * DIM + (long) l2cRow * DIM + col), k.get(hfRow, col));
                    }
                }
            }
        }
        assertEquals(raw(wv + layer * KV_DIM * DIM + 3 * DIM + 7), w.load(p + "self_attn.v_proj.weight").get(3, 7));
        assertEquals(raw(wo + layer * DIM * DIM + 9 * DIM + 2), w.load(p + "self_attn.o_proj.weight").get(9, 2));
        assertEquals(raw(rmsAtt + layer * DIM + 4), w.load(p + "input_layernorm.weight").get(0, 4));
        assertEquals(raw(rmsFfn + layer * DIM + 4), w.load(p + "post_attention_layernorm.weight").get(0, 4));
        assertEquals(raw(w1 + layer * HIDDEN * DIM + 43 * DIM + 1), w.load(p + "mlp.gate_proj.weight").get(43, 1), "w1 -> gate");
        assertEquals(raw(w3 + layer * HIDDEN * DIM + 43 * DIM + 1), w.load(p + "mlp.up_proj.weight").get(43, 1), "w3 -> up");
        assertEquals(raw(w2 + layer * DIM * HIDDEN + 2 * HIDDEN + 43), w.load(p + "mlp.down_proj.weight").get(2, 43), "w2 -> down");
        assertEquals(0f, w.load(p + "mlp.gate_proj.weight").get(47, 1), "padded hidden rows are zero");
        assertEquals(0f, w.load(p + "mlp.down_proj.weight").get(2, 47), "padded hidden columns are zero");
        AbstractTensor up = w.load(p + "mlp.up_proj.weight");
        assertArrayEquals(new int[] {48, DIM}, new int[] {up.shape().first(), up.shape().last()});
        assertEquals(raw(rmsFinal + 6), w.load("model.norm.weight").get(0, 6));
        assertEquals(raw(embed + 17L * DIM + 3), w.load("model.embed_tokens.weight").get(17, 3));
        assertEquals(raw(embed + 17L * DIM + 3), w.load("lm_head.weight").get(17, 3), "shared classifier written as lm_head");

        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertEquals("llama", config.get("model_type").asText());
        assertEquals(48, config.get("intermediate_size").asInt());
        assertEquals(SEQ, config.get("max_position_embeddings").asInt());
        assertEquals(KV_HEADS, config.get("num_key_value_heads").asInt());
    }

    @Test
    void ownClassifierIsReadAfterTheLegacyRopeTables() throws Exception {
        Llama2cHeader h = new Llama2cHeader(DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ, false);
        Path dir = Llama2cImporter.importModel(checkpoint(false), tokenizer(), tmp.resolve("out"));
        Weights w = SafeTensorSupport.readWeights(ByteBuffer.wrap(Files.readAllBytes(dir.resolve("model.safetensors"))).order(ByteOrder.LITTLE_ENDIAN));
        long classifier = h.floatCount() - (long) VOCAB * DIM;
        assertEquals(raw(classifier + 5L * DIM + 1), w.load("lm_head.weight").get(5, 1));
    }

    @Test
    void jlamaTokenizesLikeLlama2c() throws Exception {
        Path dir = Llama2cImporter.importModel(checkpoint(true), tokenizer(), tmp.resolve("out"));
        LlamaTokenizer jlama = new LlamaTokenizer(dir);
        Llama2cReferenceEncoder reference = new Llama2cReferenceEncoder(Llama2cVocab.read(tmp.resolve("tok.bin"), VOCAB));
        for (String text : List.of("the cat sat on the mat", "  two  spaces", "in the end, the answer.", "Tabs\tand\nnewlines", "café — naïve 😀", "x")) {
            List<Integer> expected = reference.encode(text);
            long[] got = jlama.encode(text);
            assertEquals(expected.subList(1, expected.size()), Arrays.stream(got).mapToObj(x -> (int) x).toList(), text);
        }
    }

    @Test
    void rejectsBadInputWithoutLeavingAnythingBehind() throws Exception {
        Path tok = tokenizer();
        Path model = checkpoint(true);
        Path out = tmp.resolve("out");
        assertMessage("checkpoint (MODEL.bin) must be an existing file", () -> Llama2cImporter.importModel(tmp.resolve("missing.bin"), tok, out));
        assertMessage("tokenizer (TOK.bin) must be an existing file", () -> Llama2cImporter.importModel(model, tmp.resolve("missing.bin"), out));

        Path truncated = Files.write(tmp.resolve("truncated.bin"), Arrays.copyOf(Files.readAllBytes(model), 1000));
        assertMessage("needs exactly", () -> Llama2cImporter.importModel(truncated, tok, out));
        Path badHeader = Llama2cFiles.checkpoint(tmp.resolve("bad.bin"), DIM, HIDDEN, LAYERS, 3, KV_HEADS, VOCAB, SEQ, 10);
        assertMessage("dim (32) must be a multiple of n_heads (3)", () -> Llama2cImporter.importModel(badHeader, tok, out));
        Path shortTok = Llama2cFiles.tokenizer(tmp.resolve("short.bin"), PIECES.subList(0, 10));
        assertMessage("ends inside token", () -> Llama2cImporter.importModel(model, shortTok, out));
        Path versioned = Llama2cFiles.checkpoint(tmp.resolve("v1.bin"), 0x616b3432, 1, LAYERS, HEADS, KV_HEADS, VOCAB, SEQ, 10);
        assertMessage("magic 'ak42' (export version 1)", () -> Llama2cImporter.importModel(versioned, tok, out));
        Path garbage = Files.write(tmp.resolve("garbage.bin"), new byte[] {1, 2, 3});
        assertMessage("too short for its 28-byte header", () -> Llama2cImporter.importModel(garbage, tok, out));

        Files.createDirectories(out.resolve("something"));
        assertMessage("must not exist or be empty", () -> Llama2cImporter.importModel(model, tok, out));
        Files.delete(out.resolve("something"));

        try (Stream<Path> left = Files.list(tmp)) {
            assertFalse(left.anyMatch(f -> f.getFileName().toString().contains(".importing-")), "no staging folder left behind");
        }
        Llama2cImporter.importModel(model, tok, out); // an empty target folder is fine
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
    }

    private static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should contain '" + fragment + "'");
    }
}
