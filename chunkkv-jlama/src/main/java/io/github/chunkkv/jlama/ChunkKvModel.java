package io.github.chunkkv.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.TransformerBlock;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import com.github.tjake.jlama.tensor.AbstractTensor;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.config.Probe;
import io.github.chunkkv.policy.PolicyRegistry;
import io.github.chunkkv.simd.Kernels;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.random.RandomGenerator;
import java.util.zip.CRC32C;

/**
 * A Jlama model whose KV cache is compressed after every prefill. It implements Jlama's {@link Generator}, so code
 * written against Jlama works unchanged, and it fixes what stock {@code generate()} gets wrong: a session continues at
 * its position across turns (turn 2 appends to the compressed turn-1 cache, nothing is prefilled twice),
 * {@code ntokens} counts new tokens, a prompt that does not fit is refused before any work, sessions are closed
 * explicitly and live on the heap only (no page files).
 *
 * <p>Thread safety: what runs the model or touches sessions (a session's prefill, decode and rewind, {@code generate},
 * opening, finding, saving, loading and closing sessions) is synchronized on this object, so those calls are serialized; the other methods read
 * fixed state or go to the wrapped model's tokenizer, except {@link #embed}, which runs stock Jlama unserialized.
 * {@link KvSession#generate} takes the lock once per model step, not for the whole reply: generations on different
 * sessions interleave token by token, and a session serves one caller at a time. Closing this model frees its
 * sessions; the wrapped Jlama model stays open and belongs to the caller.
 */
public final class ChunkKvModel implements Generator {
    private static final int MAX_BATCH = 256; // Jlama's prefill batch size

    private final AbstractModel model;
    private final Config c;
    private final JlamaInstaller.Installed installed;
    private final ActiveSession active = new ActiveSession();
    private final ChunkKvConfig defaultConfig;
    private final Map<UUID, KvSession> sessions = new LinkedHashMap<>();
    private final Kernels kernels = Kernels.preferred();
    private final RandomGenerator random;
    private final int maxPositions;
    private ModelFingerprint fingerprint;
    private int[] repeatInstruction;

    ChunkKvModel(AbstractModel model, ChunkKvConfig defaultConfig, RandomGenerator random) {
        this.model = Objects.requireNonNull(model, "model");
        this.defaultConfig = Objects.requireNonNull(defaultConfig, "config");
        this.random = random;
        this.c = model.getConfig();
        this.installed = JlamaInstaller.install(model, active);
        // Jlama reads its RoPE table at pos + 2g for KV head g, so the last 2(G-1) positions are unreachable.
        this.maxPositions = c.contextLength - 2 * (c.numberOfKeyValueHeads - 1);
    }

    public AbstractModel jlamaModel() {
        return model;
    }

    public ChunkKvConfig defaultConfig() {
        return defaultConfig;
    }

    /** How many tokens one session can hold in total (prompt, history and generated tokens). */
    public int maxPositions() {
        return maxPositions;
    }

    /** Bytes one cached position takes in a full (uncompressed) float32 cache, all layers. */
    public long kvBytesPerPosition() {
        return 2L * c.numberOfLayers * c.kvLength * Float.BYTES;
    }

    public synchronized KvSession openSession() {
        return openSession(defaultConfig);
    }

    public synchronized KvSession openSession(ChunkKvConfig config) {
        return openSession(UUID.randomUUID(), config);
    }

    /** The open session with this id, or a new one with the default configuration. */
    public synchronized KvSession session(UUID id) {
        KvSession s = sessions.get(Objects.requireNonNull(id, "session id"));
        return s != null ? s : openSession(id, defaultConfig);
    }

    public synchronized Optional<KvSession> findSession(UUID id) {
        return Optional.ofNullable(sessions.get(id));
    }

    public synchronized int openSessions() {
        return sessions.size();
    }

    private KvSession openSession(UUID id, ChunkKvConfig config) {
        KvSession s = newSession(id, config);
        sessions.put(id, s);
        return s;
    }

    /** A session not yet registered with this model. */
    private KvSession newSession(UUID id, ChunkKvConfig config) {
        Objects.requireNonNull(config, "config");
        int promote = config.promote();
        return new KvSession(this, id, config, PolicyRegistry.create(config, c.numberOfLayers), c.numberOfLayers, c.kvLength,
                ColdTier.create(config.recall(), c.numberOfLayers, c.kvLength, c.headSize, promote == 0 ? 0 : config.chunkSize(), kernels),
                config.cap() == 0 ? null : new DecodeCap(config, c.numberOfLayers, c.numberOfHeads, c.numberOfKeyValueHeads, c.headSize),
                promote == 0 ? null
                        : new DecodeRecall(kernels, promote, c.numberOfHeads, c.numberOfKeyValueHeads, c.headSize, CompressedAttention.scale(c)));
    }

    /**
     * Opens a session saved by {@link KvSession#save}: it continues exactly where the saved one stopped. The file is
     * validated before anything else happens; a snapshot of another model, a truncated, corrupt or future-version
     * file is refused with an exception naming the problem, and no session is opened. A decoding cap's query ring is
     * not saved: a capped session re-observes queries before its first re-selection after loading.
     */
    public synchronized KvSession load(Path file) {
        Objects.requireNonNull(file, "file");
        KvSession s = SessionSnapshot.read(file, fingerprint(), maxPositions, config -> newSession(UUID.randomUUID(), config));
        sessions.put(s.id(), s);
        return s;
    }

    synchronized void save(KvSession s, Path file) {
        s.checkOpen();
        Objects.requireNonNull(file, "file");
        ModelFingerprint model = fingerprint();
        SnapshotFiles.writeAtomically(file, out -> SessionSnapshot.write(s, model, out));
    }

    /** Architecture, dimensions and a hash of the first embedding rows (computed once). */
    private ModelFingerprint fingerprint() {
        if (fingerprint == null) {
            int[] rows = {0, 1, c.vocabularySize / 2, c.vocabularySize - 1};
            float[] embeddings = new float[rows.length * c.embeddingLength];
            try (AbstractTensor t = installed.embedInput().batchInputsToEmbeddings(rows, 0)) {
                TensorArrays.toArray(t, rows.length, c.embeddingLength, embeddings);
            }
            ByteBuffer bytes = ByteBuffer.allocate(embeddings.length * Float.BYTES);
            bytes.asFloatBuffer().put(embeddings);
            CRC32C crc = new CRC32C();
            crc.update(bytes.array());
            fingerprint = new ModelFingerprint(model.getClass().getSimpleName(), c.embeddingLength, c.numberOfLayers, c.numberOfHeads,
                    c.numberOfKeyValueHeads, c.headSize, c.vocabularySize, c.contextLength, crc.getValue());
        }
        return fingerprint;
    }

    /** Token ids of a prompt; {@code withBos} puts the model's BOS first when the model uses one. */
    public int[] encode(PromptContext prompt, boolean withBos) {
        int[] tokens = model.encodePrompt(prompt);
        boolean hasBos = tokens.length > 0 && tokens[0] == c.bosToken;
        return hasBos && !withBos ? Arrays.copyOfRange(tokens, 1, tokens.length) : tokens;
    }

    synchronized float[] prefill(KvSession s, int[] tokens) {
        s.checkOpen();
        checkTokens(tokens, "tokens");
        checkFits(s, tokens.length);
        long start = System.nanoTime();
        // With recall the new tokens attend over the whole context: cold rows come back before the forward pass.
        int[][] wereCold = s.coldTier() == null ? null : s.recallColdRows();
        long recallNanos = System.nanoTime() - start;
        int startPosition = s.position();
        int layers = c.numberOfLayers;
        int[] sizesAtEnd = new int[layers];
        int[] protectedRows = new int[layers];
        for (int l = 0; l < layers; l++) {
            sizesAtEnd[l] = s.cachedRows(l) + tokens.length;
            // A ratio applies once per position: earlier turns' kept rows stay. A budget bounds the whole cache.
            // Recall re-selects over the whole context instead, so nothing is protected.
            protectedRows[l] = s.config().usesRatio() && !s.config().recalls() ? s.cache(l).rowsBefore(s.compressedUpTo()) : 0;
        }
        boolean compresses = !s.config().keepsEverything();
        int[] probe = compresses && startPosition == 0 ? probeTokens(s.config().probe(), tokens) : new int[0];
        PrefillPlan plan = !compresses ? null
                : new PrefillPlan(s.policy(), kernels, startPosition + tokens.length, tokens.length, probe.length, sizesAtEnd, protectedRows,
                        s.coldTier(), c.numberOfHeads, c.numberOfKeyValueHeads, c.headSize);
        s.beginPrefill(plan);
        float[] logits;
        try {
            logits = logitsOfLastRow(forwardBatches(s, tokens, startPosition));
            // The probe's rows are observed, then dropped by the plan as each layer compresses; its output is not needed.
            if (probe.length > 0) forwardBatches(s, probe, startPosition + tokens.length).close();
        } catch (RuntimeException | Error e) {
            s.truncate(startPosition);
            s.beginPrefill(null);
            throw e;
        }
        s.advance(tokens);
        long rowBytes = 2L * c.kvLength * Float.BYTES;
        int[] kept = new int[layers];
        long before = 0;
        for (int l = 0; l < layers; l++) {
            kept[l] = s.cachedRows(l);
            before += rowBytes * (plan == null ? kept[l] : plan.cachedBefore(l));
        }
        long elapsed = System.nanoTime() - start;
        CompressionStats stats = plan == null
                ? new CompressionStats(tokens.length, kept.length == 0 ? 0 : kept[0], kept, before, before, 0, 0, 0, elapsed)
                : plan.stats(tokens.length, kept, before, s.kvBytes(), elapsed);
        s.endPrefill(stats, logits);
        if (wereCold != null) s.recordPrefillReselection(wereCold, recallNanos + stats.compressNanos());
        return logits;
    }

    /**
     * Rewinds to the end of the last prefill and returns that prefill's logits; its statistics now say that nothing
     * was run or compressed.
     */
    private synchronized float[] rewindToPrefillEnd(KvSession s) {
        s.checkOpen();
        float[] logits = s.logitsAtPrefillEnd(); // checked before anything changes
        s.truncate(s.compressedUpTo());
        int[] kept = new int[c.numberOfLayers];
        for (int l = 0; l < kept.length; l++) kept[l] = s.cachedRows(l);
        s.recordStats(new CompressionStats(0, kept.length == 0 ? 0 : kept[0], kept, s.kvBytes(), s.kvBytes(), 0, 0, 0, 0));
        return logits;
    }

    /**
     * The probe scoring a session's first compression ({@link io.github.chunkkv.config.Probe}); empty for none. Only the
     * first prefill is probed: later ones are turns that bring their own question to score by.
     */
    private int[] probeTokens(Probe probe, int[] prompt) {
        return switch (probe) {
            case NONE -> new int[0];
            case REPEAT -> {
                if (repeatInstruction == null) repeatInstruction = encode(PromptContext.of(ProbeTokens.REPEAT_INSTRUCTION), false);
                yield ProbeTokens.repeat(repeatInstruction, prompt, c.bosToken, maxPositions - prompt.length);
            }
        };
    }

    /** Runs the tokens in Jlama-sized batches from {@code startPosition}; returns the last batch's output. */
    private AbstractTensor forwardBatches(KvSession s, int[] tokens, int startPosition) {
        AbstractTensor last = null;
        for (int from = 0; from < tokens.length; from += MAX_BATCH) {
            if (last != null) last.close();
            last = forward(s, Arrays.copyOfRange(tokens, from, Math.min(tokens.length, from + MAX_BATCH)), startPosition + from);
        }
        return last;
    }

    synchronized float[] decode(KvSession s, int token) {
        s.checkOpen();
        checkTokens(new int[] {token}, "token");
        checkFits(s, 1);
        float[] logits = logitsOfLastRow(forward(s, new int[] {token}, s.position()));
        s.advance(new int[] {token});
        DecodeCap cap = s.decodeCap();
        if (cap != null && cap.exceeded(s.caches())) {
            long start = System.nanoTime(), coldBefore = s.coldRowsTotal();
            cap.reselect(s.caches(), s.coldTier(), kernels, CompressedAttention.scale(c));
            s.recordReselection(coldBefore, 0, System.nanoTime() - start);
        }
        return logits;
    }

    synchronized void rewind(KvSession s, int position) {
        s.checkOpen();
        if (position < s.compressedUpTo() || position > s.position()) {
            throw new IllegalArgumentException("rewind position must be in [" + s.compressedUpTo() + ", " + s.position()
                    + "] (the compressed history cannot be rewound), got " + position);
        }
        s.truncate(position);
    }

    synchronized void closeSession(KvSession s) {
        sessions.remove(s.id(), s);
        s.markClosed();
    }

    /** Closes the session with this id, if open, freeing its cache. */
    public synchronized void closeSession(UUID id) {
        KvSession s = sessions.get(id);
        if (s != null) closeSession(s);
    }

    private AbstractTensor forward(KvSession s, int[] tokens, int startPosition) {
        active.set(s);
        try {
            AbstractTensor x = installed.embedInput().batchInputsToEmbeddings(tokens, startPosition);
            for (TransformerBlock block : installed.blocks()) {
                AbstractTensor in = x;
                x = block.forward(in, startPosition, null, Optional.empty());
                in.close();
            }
            return x;
        } finally {
            active.set(null);
        }
    }

    /** Raw (pre-softmax) logits of the last row, exactly as Jlama's sampler sees them. */
    private float[] logitsOfLastRow(AbstractTensor output) {
        try (output; AbstractTensor logits = model.makeDenseTensor(1, c.vocabularySize)) {
            model.sample(output.slice(output.shape().first() - 1), 0f, 0f, logits);
            float[] out = new float[c.vocabularySize];
            TensorArrays.toArray(logits, 1, c.vocabularySize, out);
            return out;
        }
    }

    private void checkTokens(int[] tokens, String name) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException(name + " must not be empty");
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= c.vocabularySize) {
                throw new IllegalArgumentException(name + "[" + i + "] must be a token id in [0, " + c.vocabularySize + "), got " + tokens[i]);
            }
        }
    }

    private void checkFits(KvSession s, int count) {
        if (s.position() + count > maxPositions) {
            throw new IllegalArgumentException("prompt of " + count + " tokens does not fit the context: the session is at position "
                    + s.position() + " and the model allows " + maxPositions + " positions (contextLength " + c.contextLength + ")");
        }
    }

    GenerationResult generate(KvSession s, int[] newTokens, GenerationOptions options, TextListener listener) {
        return loop(s, options, listener).run(newTokens);
    }

    GenerationResult regenerate(KvSession s, GenerationOptions options, TextListener listener) {
        GenerationLoop loop = loop(s, options, listener); // options checked before the session is rewound
        return loop.runFrom(rewindToPrefillEnd(s));
    }

    private GenerationLoop loop(KvSession s, GenerationOptions options, TextListener listener) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        return new GenerationLoop(s, options, listener, model.getTokenizer(), c.eosTokens, maxPositions, random);
    }

    /**
     * Jlama's generate with its bugs fixed: the prompt is appended to the session (BOS only at its start), the last
     * sampled token is fed at the start of the next turn, and {@code ntokens} is the number of new tokens.
     */
    @Override
    public synchronized Response generate(UUID sessionId, PromptContext promptContext, float temperature, int ntokens,
            BiConsumer<String, Float> onTokenWithTimings) {
        Objects.requireNonNull(promptContext, "promptContext");
        if (ntokens < 1) throw new IllegalArgumentException("ntokens (new tokens to generate) must be >= 1, got " + ntokens);
        GenerationOptions options = GenerationOptions.maxTokens(ntokens).withSampling(SamplingOptions.temperature(temperature));
        KvSession s = session(sessionId);
        int[] prompt = encode(promptContext, s.position() == 0 && s.pendingToken() < 0);
        int[] feed = s.pendingToken() < 0 ? prompt : concat(s.pendingToken(), prompt);
        checkTokens(feed, "prompt");
        checkFits(s, feed.length);
        s.setPendingToken(-1);
        GenerationResult result = s.generate(feed, options,
                (text, generated, decodeNanos) -> onTokenWithTimings.accept(text, decodeNanos / 1e6f / generated));
        s.setPendingToken(result.lastSampledToken());
        return extractToolCalls(promptContext, result.toJlamaResponse());
    }

    /**
     * Jlama's tool-call extraction ({@code AbstractModel.postProcessResponse}) for a response produced by driving a
     * {@link KvSession} directly: returns the response with {@code toolCalls} filled when the model called a tool.
     */
    public Response extractToolCalls(PromptContext promptContext, Response response) {
        return installed.postProcessor().apply(promptContext, response);
    }

    private static int[] concat(int first, int[] rest) {
        int[] all = new int[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    @Override
    public float[] embed(String input, PoolingType poolingType) {
        return model.embed(input, poolingType);
    }

    @Override
    public Config getConfig() {
        return c;
    }

    @Override
    public Tokenizer getTokenizer() {
        return model.getTokenizer();
    }

    @Override
    public Optional<PromptSupport> promptSupport() {
        return model.promptSupport();
    }

    /** Closes every session; the wrapped Jlama model stays open. */
    @Override
    public synchronized void close() {
        for (KvSession s : new ArrayList<>(sessions.values())) closeSession(s);
    }
}
