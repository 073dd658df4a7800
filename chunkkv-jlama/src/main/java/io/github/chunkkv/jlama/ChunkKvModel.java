package io.github.chunkkv.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.TransformerBlock;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import com.github.tjake.jlama.tensor.AbstractTensor;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.config.Probe;
import io.github.chunkkv.config.KvPrecision;
import io.github.chunkkv.policy.CompressionPolicy;
import io.github.chunkkv.policy.PolicyRegistry;
import io.github.chunkkv.simd.Kernels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.zip.CRC32C;

/**
 * A Jlama model whose KV cache is compressed after every prefill. It implements Jlama's {@link Generator}, so code
 * written against Jlama works unchanged, and it fixes what stock {@code generate()} gets wrong: a session continues at
 * its position across turns (turn 2 appends to the compressed turn-1 cache, nothing is prefilled twice),
 * {@code ntokens} counts new tokens, a prompt that does not fit is refused before any work, sessions are closed
 * explicitly and live on the heap only (no page files).
 *
 * <p>Thread safety: what runs the model or changes sessions (a session's prefill, decode and rewind, opening, saving,
 * loading and closing sessions, {@link #embed}) holds the wrapped model's {@link ModelLock}, which every wrapper of the
 * same Jlama model, every {@link StockJlamaSession} on it and the LangChain4j adapter share, so one Jlama model never
 * runs two forward passes at once. A generation ({@link KvSession#generate}, {@link #generate}) takes the lock once per
 * model step, never for the whole reply, and calls its listener with no lock held: generations on different sessions
 * interleave token by token, a listener may call anything (even close this model), and a session serves one
 * generation at a time (a second one on a busy session is refused). Waiting for the lock can be interrupted, and an
 * interrupted generation stops between tokens (see {@link GenerationResult.StopReason#INTERRUPTED}).
 *
 * <p>Open sessions are bounded: beyond {@link #maxOpenSessions()} (default {@value #DEFAULT_MAX_OPEN_SESSIONS}) opening
 * one closes the least recently used, whose later use throws an {@link IllegalStateException} that says so. Closing
 * this model frees its sessions and refuses new ones; the wrapped Jlama model stays open and belongs to the caller.
 */
public final class ChunkKvModel implements Generator {
    private static final int MAX_BATCH = 256; // Jlama's prefill batch size
    /** Default bound of open sessions: a few hundred conversations, each typically a few MiB compressed. */
    public static final int DEFAULT_MAX_OPEN_SESSIONS = 256;
    /** Largest allowed bound of open sessions. */
    public static final int MAX_OPEN_SESSIONS = 1 << 20;

    private final AbstractModel model;
    private final Config c;
    private final JlamaInstaller.Installed installed;
    private final ActiveSession active = new ActiveSession();
    private final ChunkKvConfig defaultConfig;
    private final ReentrantLock lock;
    private final LinkedHashMap<UUID, KvSession> sessions = new LinkedHashMap<>(16, 0.75f, true); // least recent first
    private int maxOpenSessions = DEFAULT_MAX_OPEN_SESSIONS;
    private boolean closed;
    private final Kernels kernels = Kernels.preferred();
    private final RandomGenerator random;
    private final int maxPositions;
    /** The model's sliding attention window (0: none); decode-time recall merges only promoted rows inside it. */
    private final int slidingWindow;
    private ModelFingerprint fingerprint;
    private int[] repeatInstruction;

    ChunkKvModel(AbstractModel model, ChunkKvConfig defaultConfig, RandomGenerator random, AttentionConfig attention) {
        this.model = Objects.requireNonNull(model, "model");
        this.defaultConfig = Objects.requireNonNull(defaultConfig, "config");
        this.random = random;
        this.c = model.getConfig();
        // Jlama reads its RoPE table at pos + 2g for KV head g, so the last 2(G-1) positions are unreachable.
        this.maxPositions = c.contextLength - 2 * (c.numberOfKeyValueHeads - 1);
        if (maxPositions < 1) {
            throw new IllegalArgumentException("the model's context length " + c.contextLength + " is too small for its "
                    + c.numberOfKeyValueHeads + " KV heads: Jlama needs 2 * (KV heads - 1) = " + 2 * (c.numberOfKeyValueHeads - 1)
                    + " positions beyond the last usable one, so context_length must be at least " + (2 * c.numberOfKeyValueHeads - 1));
        }
        this.installed = JlamaInstaller.install(model, active, attention);
        this.slidingWindow = attention.slidingWindow();
        this.lock = ModelLock.of(model);
    }

    /**
     * The wrapped Jlama model, still owned by the caller. Run it only under its {@link ModelLock}: this wrapper's sessions
     * share its single forward pass.
     */
    public AbstractModel jlamaModel() {
        return model;
    }

    /** The weight and working types the wrapped model runs with (after Jlama's own substitutions). */
    public WorkingTypes workingTypes() {
        return installed.types();
    }

    /** The configuration of sessions opened without one ({@link #openSession()}, {@link #session(UUID)}). */
    public ChunkKvConfig defaultConfig() {
        return defaultConfig;
    }

    /** How many tokens one session can hold in total (prompt, history and generated tokens). */
    public int maxPositions() {
        return maxPositions;
    }

    /** How a session with {@code config} stores its rows: as it asks, else as the working memory (as stock Jlama's cache). */
    public KvPrecision kvPrecision(ChunkKvConfig config) {
        return config.kv().orElse(installed.types().workingMemory() == DType.BF16 ? KvPrecision.BF16 : KvPrecision.F32);
    }

    /** Bytes one cached position takes in a full (uncompressed) float32 cache, all layers. */
    public long kvBytesPerPosition() {
        return 2L * c.numberOfLayers * c.kvLength * Float.BYTES;
    }

    /** The most sessions open at once; opening one more closes the least recently used. */
    public int maxOpenSessions() {
        return ModelLock.call(lock, () -> maxOpenSessions);
    }

    /**
     * Bounds the open sessions to {@code max} in [1, {@value #MAX_OPEN_SESSIONS}]: beyond it, opening a session closes
     * the least recently used one (prefill, decode, generate and lookups count as use). Closes the excess at once.
     */
    public void setMaxOpenSessions(int max) {
        if (max < 1 || max > MAX_OPEN_SESSIONS) {
            throw new IllegalArgumentException("maxOpenSessions must be in [1, " + MAX_OPEN_SESSIONS + "], got " + max);
        }
        ModelLock.run(lock, () -> {
            maxOpenSessions = max;
            evictDownTo(max);
        });
    }

    /** Opens an empty session with {@link #defaultConfig()}; see {@link #openSession(ChunkKvConfig)}. */
    public KvSession openSession() {
        return openSession(defaultConfig);
    }

    /**
     * Opens an empty session with {@code config} under a fresh random id, closing the least recently used session
     * first when {@link #maxOpenSessions()} are open.
     * @throws IllegalStateException when this model is closed
     */
    public KvSession openSession(ChunkKvConfig config) {
        Objects.requireNonNull(config, "config");
        return ModelLock.call(lock, () -> register(newSession(UUID.randomUUID(), config)));
    }

    /** The open session with this id, or a new one with the default configuration. */
    public KvSession session(UUID id) {
        Objects.requireNonNull(id, "session id");
        return ModelLock.call(lock, () -> {
            KvSession s = sessions.get(id);
            return s != null ? s : register(newSession(id, defaultConfig));
        });
    }

    /** The open session with this id; empty when there is none (never opened, closed or evicted). Opens nothing. */
    public Optional<KvSession> findSession(UUID id) {
        return ModelLock.call(lock, () -> Optional.ofNullable(sessions.get(id)));
    }

    /** How many sessions are open now, at most {@link #maxOpenSessions()}. */
    public int openSessions() {
        return ModelLock.call(lock, sessions::size);
    }

    /** Registers a new session, first closing the least recently used ones beyond the bound. */
    private KvSession register(KvSession s) {
        if (closed) throw new IllegalStateException("this ChunkKvModel is closed");
        evictDownTo(maxOpenSessions - 1);
        sessions.put(s.id(), s);
        return s;
    }

    private void evictDownTo(int count) {
        var eldest = sessions.values().iterator();
        while (sessions.size() > count) {
            KvSession s = eldest.next();
            eldest.remove();
            s.markClosed("it was the least recently used of " + maxOpenSessions + " open sessions (maxOpenSessions)");
        }
    }

    /** A session not yet registered with this model. */
    private KvSession newSession(UUID id, ChunkKvConfig config) {
        Objects.requireNonNull(config, "config");
        int promote = config.promote();
        return new KvSession(this, id, config, PolicyRegistry.create(config, c.numberOfLayers), kvPrecision(config), c.numberOfLayers,
                c.kvLength, c.headSize,
                ColdTier.create(config.recall(), c.numberOfLayers, c.kvLength, c.headSize, promote == 0 ? 0 : config.chunkSize(), kernels),
                config.cap() == 0 ? null : new DecodeCap(config, c.numberOfLayers, c.numberOfHeads, c.numberOfKeyValueHeads, c.headSize),
                promote == 0 ? null
                        : new DecodeRecall(kernels, promote, c.numberOfLayers, c.numberOfHeads, c.numberOfKeyValueHeads, c.headSize,
                                CompressedAttention.scale(c), slidingWindow));
    }

    /**
     * Opens a session saved by {@link KvSession#save}: it continues exactly where the saved one stopped. The file is
     * validated before anything else happens; a snapshot of another model, a truncated, corrupt or future-version
     * file is refused with an exception naming the problem, and no session is opened. A decoding cap's query ring is
     * not saved: a capped session re-observes queries before its first re-selection after loading.
     */
    public KvSession load(Path file) {
        Objects.requireNonNull(file, "file");
        return load(SessionSnapshot.Source.of(file));
    }

    /**
     * {@link #load(Path)} from the bytes of a snapshot, e.g. as a cache store returned them (see {@link KvSession#snapshot()}):
     * the same format, validated the same way. {@code name} says where they came from in exception messages.
     */
    public KvSession load(byte[] snapshot, String name) {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(name, "name");
        return load(SessionSnapshot.Source.of(snapshot, name));
    }

    private KvSession load(SessionSnapshot.Source source) {
        return ModelLock.call(lock, () -> {
            if (closed) throw new IllegalStateException("this ChunkKvModel is closed");
            return register(SessionSnapshot.read(source, fingerprint(), maxPositions, config -> newSession(UUID.randomUUID(), config)));
        });
    }

    void save(KvSession s, Path file) {
        Objects.requireNonNull(file, "file");
        ModelLock.run(lock, () -> {
            s.checkOpen();
            ModelFingerprint model = fingerprint();
            SnapshotFiles.writeAtomically(file, out -> SessionSnapshot.write(s, model, out));
        });
    }

    byte[] snapshot(KvSession s) {
        return ModelLock.call(lock, () -> {
            s.checkOpen();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                SessionSnapshot.write(s, fingerprint(), bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
            }
            return bytes.toByteArray();
        });
    }

    /**
     * A short hex name of what a snapshot must match to load into this model (architecture, dimensions, a weight
     * hash): equal for the same model on every machine, different for another model. Cache stores put it in their keys.
     */
    public String modelId() {
        return ModelLock.call(lock, () -> fingerprint().id());
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

    float[] prefill(KvSession s, int[] tokens) {
        checkTokens(tokens, "tokens");
        return ModelLock.call(lock, () -> {
            checkUsable(s);
            checkFits(s, tokens.length);
            return prefillLocked(s, tokens);
        });
    }

    private float[] prefillLocked(KvSession s, int[] tokens) {
        if (s.config().segment() > 0 && !s.config().keepsEverything()) return prefillInSegmentsLocked(s, tokens);
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
        for (int l = 0; l < layers; l++) s.cache(l).reserve(sizesAtEnd[l]);
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
        // A compression trimmed the arrays already; without one, earlier decoding's growth slack goes.
        CompressionStats stats = prefillStats(s, plan, tokens.length, true, start);
        s.endPrefill(stats, logits);
        if (wereCold != null) s.recordPrefillReselection(wereCold, recallNanos + stats.compressNanos());
        return logits;
    }

    /**
     * The stats of a prefill (or one segment of it) that has just run and compressed under {@code plan} (null: nothing
     * was compressed), the arrays trimmed to the cached rows first when {@code trim}.
     */
    private CompressionStats prefillStats(KvSession s, PrefillPlan plan, int promptTokens, boolean trim, long startNanos) {
        int layers = c.numberOfLayers;
        long rowBytes = s.cache(0).bytesPerRow(), before = 0;
        int[] kept = new int[layers];
        long[] allocated = new long[layers];
        for (int l = 0; l < layers; l++) {
            if (trim) s.cache(l).trim();
            kept[l] = s.cachedRows(l);
            allocated[l] = s.cache(l).allocatedBytes();
            before += rowBytes * (plan == null ? kept[l] : plan.cachedBefore(l));
        }
        long elapsed = System.nanoTime() - startNanos;
        return plan == null
                ? new CompressionStats(promptTokens, layers == 0 ? 0 : kept[0], kept, before, before, allocated, 0, 0, 0, elapsed)
                : plan.stats(promptTokens, kept, before, s.kvBytes(), allocated, elapsed);
    }

    /**
     * Bounded-memory prefill ({@code segment=N}): the tokens run in segments of N, and after each segment every layer's
     * whole hot cache (earlier turns included) is compressed to {@link ChunkKvConfig#segmentTarget} of the positions
     * seen so far, so a layer never holds more than that target plus one segment of rows. Each compression is observed
     * by the segment's own last {@code window} queries: the only queries at hand (observing earlier ones again would
     * mean keeping or recomputing them, the cost segments avoid), and the latest text is what the next segment reads
     * on from. Cold rows are not recalled before a prefill, which would bring the whole context back into memory at
     * once; each batch promotes the cold chunks its queries would attend to instead ({@code promote}, as decode steps do).
     *
     * <p>While the hot cache still holds every position seen, the session's own policy sizes it (that is the target
     * of the positions seen, a ratio's chunk rounding included), so a prefill that fits one segment is compressed
     * exactly as without segments; after the first eviction a ratio of the cache would shrink old rows again at every
     * segment, so the target is given as a budget. A failure leaves the session at the end of the last complete
     * segment.
     */
    private float[] prefillInSegmentsLocked(KvSession s, int[] tokens) {
        ChunkKvConfig config = s.config();
        int layers = c.numberOfLayers, segment = config.segment(), end = s.position() + tokens.length;
        long coldBefore = s.coldRowsTotal(), promotedBefore = s.rowsPromotedWhileDecoding();
        CompressionStats stats = null;
        float[] logits = null;
        for (int from = 0; from < tokens.length; from += segment) {
            long start = System.nanoTime();
            int[] part = Arrays.copyOfRange(tokens, from, Math.min(tokens.length, from + segment));
            int at = s.position();
            boolean last = at + part.length == end;
            CompressionPolicy policy = s.holdsEveryPosition() ? s.policy()
                    : PolicyRegistry.create(config.withBudget(config.segmentTarget(at + part.length)), layers);
            int[] sizesAtEnd = new int[layers];
            for (int l = 0; l < layers; l++) {
                sizesAtEnd[l] = s.cachedRows(l) + part.length;
                s.cache(l).reserve(sizesAtEnd[l]); // exactly: the growth slack of appends would exceed the bound
            }
            PrefillPlan plan = new PrefillPlan(policy, kernels, at + part.length, part.length, 0, sizesAtEnd, new int[layers], s.coldTier(),
                    c.numberOfHeads, c.numberOfKeyValueHeads, c.headSize);
            s.beginPrefill(plan);
            try {
                AbstractTensor output = forwardBatches(s, part, at);
                if (last) logits = logitsOfLastRow(output);
                else output.close();
            } catch (RuntimeException | Error e) {
                s.truncate(at);
                s.beginPrefill(null);
                throw e;
            }
            s.advance(part);
            s.endSegment();
            // The last segment ends trimmed like any prefill; earlier ones keep the room reserved for the next.
            CompressionStats segmentStats = prefillStats(s, plan, part.length, last, start);
            stats = stats == null ? segmentStats : stats.followedBy(segmentStats);
        }
        long promoted = s.rowsPromotedWhileDecoding() - promotedBefore; // by this prefill's batches (counted until endPrefill)
        s.endPrefill(stats, logits);
        if (s.coldTier() != null) s.recordReselection(coldBefore, promoted, stats.compressNanos());
        return logits;
    }

    /**
     * Rewinds to the end of the last prefill and returns that prefill's logits; its statistics now say that nothing
     * was run or compressed.
     */
    private float[] rewindToPrefillEndLocked(KvSession s) {
        float[] logits = s.logitsAtPrefillEnd(); // checked before anything changes
        s.truncate(s.compressedUpTo());
        int[] kept = new int[c.numberOfLayers];
        long[] allocated = new long[kept.length];
        for (int l = 0; l < kept.length; l++) {
            kept[l] = s.cachedRows(l);
            allocated[l] = s.cache(l).allocatedBytes();
        }
        s.recordStats(new CompressionStats(0, kept.length == 0 ? 0 : kept[0], kept, s.kvBytes(), s.kvBytes(), allocated, 0, 0, 0, 0));
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
            if (Thread.currentThread().isInterrupted()) throw new CancellationException("interrupted during the prefill");
            last = forward(s, Arrays.copyOfRange(tokens, from, Math.min(tokens.length, from + MAX_BATCH)), startPosition + from);
        }
        return last;
    }

    float[] decode(KvSession s, int token) {
        checkTokens(new int[] {token}, "token");
        return ModelLock.call(lock, () -> {
            checkUsable(s);
            checkFits(s, 1);
            return decodeLocked(s, token);
        });
    }

    private float[] decodeLocked(KvSession s, int token) {
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

    void rewind(KvSession s, int position) {
        ModelLock.run(lock, () -> {
            checkUsable(s);
            if (position < s.compressedUpTo() || position > s.position()) {
                throw new IllegalArgumentException("rewind position must be in [" + s.compressedUpTo() + ", " + s.position()
                        + "] (the compressed history cannot be rewound), got " + position);
            }
            s.truncate(position);
        });
    }

    /** Closing waits for the model step in progress only, and goes on when interrupted: it must not be skipped. */
    void closeSession(KvSession s) {
        lock.lock();
        try {
            sessions.remove(s.id(), s);
            s.markClosed("it was closed");
        } finally {
            lock.unlock();
        }
    }

    /** Closes the session with this id, if open, freeing its cache. */
    public void closeSession(UUID id) {
        findSession(id).ifPresent(this::closeSession);
    }

    /** Open, and marked most recently used. */
    private void checkUsable(KvSession s) {
        s.checkOpen();
        sessions.get(s.id());
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
        GenerationLoop loop = loop(s, options, listener);
        return exclusively(s, () -> loop.run(newTokens));
    }

    GenerationResult regenerate(KvSession s, GenerationOptions options, TextListener listener) {
        GenerationLoop loop = loop(s, options, listener); // options checked before the session is rewound
        return exclusively(s, () -> loop.runFrom(ModelLock.call(lock, () -> {
            checkUsable(s);
            return rewindToPrefillEndLocked(s);
        })));
    }

    private GenerationLoop loop(KvSession s, GenerationOptions options, TextListener listener) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        return new GenerationLoop(s, options, listener, model.getTokenizer(), c.eosTokens, maxPositions, random);
    }

    /** Runs a generation on {@code s}, refusing a second one on the same session. */
    private static <T> T exclusively(KvSession s, Supplier<T> generation) {
        s.beginGeneration();
        try {
            return generation.get();
        } finally {
            s.endGeneration();
        }
    }

    /**
     * Jlama's generate with its bugs fixed: the prompt is appended to the session (BOS only at its start), the last
     * sampled token is fed at the start of the next turn, and {@code ntokens} is the number of new tokens.
     */
    @Override
    public Response generate(UUID sessionId, PromptContext promptContext, float temperature, int ntokens,
            BiConsumer<String, Float> onTokenWithTimings) {
        Objects.requireNonNull(promptContext, "promptContext");
        if (ntokens < 1) throw new IllegalArgumentException("ntokens (new tokens to generate) must be >= 1, got " + ntokens);
        GenerationOptions options = GenerationOptions.maxTokens(ntokens).withSampling(SamplingOptions.temperature(temperature));
        KvSession s = session(sessionId);
        GenerationResult result = exclusively(s, () -> {
            int[] prompt = encode(promptContext, s.position() == 0 && s.pendingToken() < 0);
            int[] feed = s.pendingToken() < 0 ? prompt : concat(s.pendingToken(), prompt);
            checkTokens(feed, "prompt");
            checkFits(s, feed.length);
            s.setPendingToken(-1);
            GenerationResult r = loop(s, options,
                    (text, generated, decodeNanos) -> onTokenWithTimings.accept(text, decodeNanos / 1e6f / generated)).run(feed);
            s.setPendingToken(r.lastSampledToken());
            return r;
        });
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
        return ModelLock.call(lock, () -> model.embed(input, poolingType));
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

    /** Closes every session and refuses new ones; the wrapped Jlama model stays open. Waits for the step in progress only. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (KvSession s : sessions.values()) s.markClosed("its ChunkKvModel was closed");
            sessions.clear();
        } finally {
            lock.unlock();
        }
    }
}
