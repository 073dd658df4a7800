package io.github.chunkkv.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** A Jlama model folder loaded for evaluation: the ChunkKV wrapper (FullKV by default) plus text helpers. */
public final class EvalModel implements AutoCloseable {
    private final Path dir;
    private final AbstractModel jlama;
    private final ChunkKvModel model;
    private final TokenText text;

    private EvalModel(Path dir, AbstractModel jlama) {
        this.dir = dir;
        this.jlama = jlama;
        this.model = ChunkKvJlama.wrap(jlama, ChunkKvConfig.full());
        this.text = new TokenText(jlama.getTokenizer());
    }

    public static EvalModel load(Path dir) {
        return new EvalModel(dir, ChunkKvJlama.loadJlamaModel(dir));
    }

    public Path dir() {
        return dir;
    }

    public ChunkKvModel model() {
        return model;
    }

    public KvSession openSession(ChunkKvConfig config) {
        return model.openSession(config);
    }

    /** Token ids of {@code prompt}, with the model's BOS first. */
    public int[] encodeWithBos(String prompt) {
        return model.encode(PromptContext.of(prompt), true);
    }

    /** Token ids of {@code text} without BOS. */
    public int[] encode(String text) {
        return model.encode(PromptContext.of(text), false);
    }

    /**
     * Runs {@code prompt} and {@code steps} decodes a few times with a full cache. The Vector API leaves the order of
     * float reductions open, and interpreted and C2-compiled kernels sum in different orders (differences of ~1e-7
     * in logits); after warm-up the same inputs give bit-identical logits, which exact comparisons need.
     */
    public void warmUp(int[] prompt, int steps) {
        for (int pass = 0; pass < 3; pass++) {
            try (KvSession s = openSession(ChunkKvConfig.full())) {
                float[] logits = s.prefill(prompt);
                for (int t = 0; t < steps && s.position() < maxPositions(); t++) logits = s.decode(Sampler.argmax(logits));
            }
        }
    }

    public TokenText text() {
        return text;
    }

    public int maxPositions() {
        return model.maxPositions();
    }

    /**
     * The context the model was trained for: config.json's {@code trained_context_length} when given (needle-lm
     * allows 4096 positions but was trained on 2048), else {@link #maxPositions()}; never more than the latter.
     */
    public int trainedContext() {
        try {
            JsonNode trained = new ObjectMapper().readTree(dir.resolve("config.json").toFile()).get("trained_context_length");
            return trained != null && trained.canConvertToInt() ? Math.min(trained.asInt(), maxPositions()) : maxPositions();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + dir.resolve("config.json"), e);
        }
    }

    public int bosToken() {
        return jlama.getConfig().bosToken;
    }

    public boolean isEos(int token) {
        return jlama.getConfig().eosTokens.contains(token);
    }

    @Override
    public void close() {
        model.close();
        jlama.close();
    }
}
