package io.github.chunkkv.jlama;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.config.KvPrecision;
import io.github.chunkkv.policy.CompressionPolicy;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One conversation's compressed KV cache and its position. Every {@link #prefill} appends to the cache and then
 * compresses it with the session's policy; {@link #decode} appends one token uncompressed. Logical positions keep
 * counting across turns, so turn 2 continues where turn 1 stopped. With a keep ratio, a prefill compresses only the
 * rows added since the last one (the previous reply and the new prompt): earlier turns' kept rows stay, so the ratio
 * applies once to every position. With a token budget the whole cache is re-selected to stay within the budget.
 *
 * <p>With recall ({@code recall=ram|disk}) evicted rows are demoted to a cold tier instead of dropped. A later
 * prefill first recalls every cold row, so the new tokens attend over the whole context, then the policy re-selects
 * the hot rows over the whole context (no rows protected): promote what the new question needs, demote the rest.
 * Decoding reads only hot rows; with decode-time recall ({@code promote > 0}) each step first promotes the cold chunks
 * its query would attend to. With a decoding cap, decoding re-selects down to {@code cap} rows whenever a layer
 * exceeds {@code cap + slack}. With {@code segment=N} a prefill runs in segments of N tokens and the whole hot cache is
 * compressed after each, so it never holds more than its target plus one segment; cold rows are then not recalled
 * wholesale before a prefill, its batches promote cold chunks as decode steps do (see {@link ChunkKvConfig#segment()}).
 * Close a session to free its memory (and delete its cold-tier file).
 *
 * <p>For one caller at a time: its owner {@link ChunkKvModel} serializes every model call under the model's
 * {@link ModelLock}, and {@link #generate} takes that lock once per token, so generations on different sessions
 * interleave; a second generation on a session that is generating is refused.
 */
public final class KvSession implements AutoCloseable {
    private final ChunkKvModel owner;
    private final UUID id;
    private final ChunkKvConfig config;
    private final CompressionPolicy policy;
    private final LayerKvCache[] caches;
    private final ColdTier cold;
    private final DecodeCap decodeCap;
    private final DecodeRecall decodeRecall;
    private int[] history = new int[64];
    private int position;
    private int compressedUpTo;
    private int pendingToken = -1;
    private PrefillPlan prefillPlan;
    private CompressionStats lastStats;
    private RecallStats lastRecallStats;
    private float[] prefillLogits;
    private volatile String closedBecause; // null while open; written under the model lock
    private final AtomicBoolean generating = new AtomicBoolean();

    /**
     * @param cold the cold tier, or null without recall
     * @param decodeCap the decoding cap, or null without one
     * @param decodeRecall decode-time recall of cold chunks, or null without ({@code promote=0} or no recall)
     */
    KvSession(ChunkKvModel owner, UUID id, ChunkKvConfig config, CompressionPolicy policy, KvPrecision precision, int layers,
            int rowStride, int headSize, ColdTier cold, DecodeCap decodeCap, DecodeRecall decodeRecall) {
        this.owner = owner;
        this.id = id;
        this.config = config;
        this.policy = policy;
        this.cold = cold;
        this.decodeCap = decodeCap;
        this.decodeRecall = decodeRecall;
        this.caches = new LayerKvCache[layers];
        for (int l = 0; l < layers; l++) caches[l] = new LayerKvCache(precision, rowStride, headSize, 0); // a prefill reserves
    }

    /** The id this session is registered under in its model ({@link ChunkKvModel#findSession(UUID)}); never null. */
    public UUID id() {
        return id;
    }

    /** The policy configuration every prefill of this session compresses with. */
    public ChunkKvConfig config() {
        return config;
    }

    /** Runs the tokens through the model, appends them to the cache, compresses it; returns the last token's logits. */
    public float[] prefill(int[] tokens) {
        return owner.prefill(this, tokens);
    }

    /** Runs one token through the model (no compression); returns its logits. */
    public float[] decode(int token) {
        return owner.decode(this, token);
    }

    /**
     * Prefills {@code newTokens}, then generates a reply as {@code options} say, handing it to {@code listener} as it
     * becomes final. The last sampled token is not fed back (see {@link GenerationResult#lastSampledToken()}).
     */
    public GenerationResult generate(int[] newTokens, GenerationOptions options, TextListener listener) {
        return owner.generate(this, newTokens, options, listener);
    }

    /**
     * Generates a new reply to the last prefill: forgets what was generated after it and samples from its logits, which
     * the session kept, so nothing is run through the model before the first new token. This answers a re-sent
     * identical prompt; with greedy sampling the reply is the same as the first time.
     *
     * @throws IllegalStateException when the session has not been prefilled
     */
    public GenerationResult regenerate(GenerationOptions options, TextListener listener) {
        return owner.regenerate(this, options, listener);
    }

    /**
     * Forgets every token at or after {@code position}, e.g. a generated reply that a client re-sends differently.
     * Only the uncompressed tail can be forgotten: compression already used the history before {@link #compressedUpTo()}.
     */
    public void rewind(int position) {
        owner.rewind(this, position);
    }

    /** Logical position of the next token: how many tokens this session has processed. */
    public int position() {
        return position;
    }

    /** The tokens processed so far, in order. */
    public int[] tokens() {
        return Arrays.copyOf(history, position);
    }

    /** Position up to which the cache has been compressed; {@link #rewind} cannot go below it. */
    public int compressedUpTo() {
        return compressedUpTo;
    }

    /** Cache rows currently held by a layer. */
    public int cachedRows(int layer) {
        return caches[checkLayer(layer)].size();
    }

    /** Logical positions held by a layer's cache, ascending. */
    public int[] cachedPositions(int layer) {
        return caches[checkLayer(layer)].positions();
    }

    /** The model's layer count: valid layer arguments are [0, layers()). */
    public int layers() {
        return caches.length;
    }

    /** Rows of a layer in the cold tier (0 without recall). */
    public int coldRows(int layer) {
        checkLayer(layer);
        return cold == null ? 0 : cold.rowCount(layer);
    }

    /** Logical positions of a layer's cold rows, ascending (empty without recall). */
    public int[] coldPositions(int layer) {
        checkLayer(layer);
        return cold == null ? new int[0] : cold.positions(layer);
    }

    private int checkLayer(int layer) {
        if (layer < 0 || layer >= caches.length) {
            throw new IllegalArgumentException("layer must be in [0, " + caches.length + "), got " + layer);
        }
        return layer;
    }

    /** Cold-tier bytes on the heap (for {@code recall=disk} only the rows' positions). */
    public long coldBytesInRam() {
        return cold == null ? 0 : cold.ramBytes();
    }

    /** Cold-tier bytes in the session's file. */
    public long coldBytesOnDisk() {
        return cold == null ? 0 : cold.diskBytes();
    }

    /** Rows that decode-time recall ({@code promote}) moved from the cold tier into the hot cache since the last prefill. */
    public long rowsPromotedWhileDecoding() {
        return decodeRecall == null ? 0 : decodeRecall.promotedRows();
    }

    /** The tiers after the last re-selection (prefill or decoding cap), or null before one or without recall and cap. */
    public RecallStats lastRecallStats() {
        return lastRecallStats;
    }

    /** K+V bytes held by all layers: kept rows × row bytes in the session's precision (Q8 scales included). */
    public long kvBytes() {
        long bytes = 0;
        for (LayerKvCache c : caches) bytes += c.bytes();
        return bytes;
    }

    /**
     * K+V bytes allocated by all layers, used or not. Equal to {@link #kvBytes()} right after a prefill (which trims
     * the arrays to the cached rows); a decode step that needs room grows a layer's arrays by an eighth plus 16 rows,
     * so between prefills it stays below 1.125 × {@link #kvBytes()} + 16 rows per layer.
     */
    public long kvAllocatedBytes() {
        long bytes = 0;
        for (LayerKvCache c : caches) bytes += c.allocatedBytes();
        return bytes;
    }

    /** How this session's hot rows are stored. */
    public KvPrecision kvPrecision() {
        return caches[0].precision();
    }

    /** Statistics of the last prefill, or null before the first. */
    public CompressionStats lastStats() {
        return lastStats;
    }

    /**
     * True once closed: by {@link #close()}, by its model's close, or as the least recently used beyond
     * {@link ChunkKvModel#maxOpenSessions()}; later use throws an {@link IllegalStateException} saying which.
     */
    public boolean isClosed() {
        return closedBecause != null;
    }

    /**
     * Saves this session (hot and cold rows, positions, tokens, policy, stats) to {@code file}, to be continued later
     * with {@link ChunkKvModel#load}, in this process or another. The file is written to a temp file next to it and
     * renamed, so it is either complete or absent; saves are serialized with every other call on the model.
     *
     * @throws java.io.UncheckedIOException when the file cannot be written (nothing is left behind)
     */
    public void save(Path file) {
        owner.save(this, file);
    }

    /**
     * This session's snapshot as bytes, in the format {@link #save} writes, for {@link ChunkKvModel#load(byte[], String)}
     * (e.g. to ship it to a cache store shared by several processes).
     */
    public byte[] snapshot() {
        return owner.snapshot(this);
    }

    /** Frees the cache memory and forgets the session in its model. */
    @Override
    public void close() {
        owner.closeSession(this);
    }

    // ---- state used by ChunkKvModel and the attention layers -------------------------------------------------

    CompressionPolicy policy() {
        return policy;
    }

    LayerKvCache cache(int layer) {
        return caches[layer];
    }

    LayerKvCache[] caches() {
        return caches;
    }

    ColdTier coldTier() {
        return cold;
    }

    DecodeCap decodeCap() {
        return decodeCap;
    }

    /** Whether decode steps recall cold chunks ({@code promote > 0} with a cold tier). */
    boolean recallsWhileDecoding() {
        return decodeRecall != null;
    }

    /**
     * Decode-time recall's first half: readies the step's queries against the layer's cold chunks and returns the work
     * that needs nothing from the hot attention, to run while it runs (null when nothing is cold); see
     * {@link DecodeRecall#prepare}.
     */
    Runnable prepareRecall(int layer, float[] q, int rows) {
        return decodeRecall.prepare(layer, q, rows, cold);
    }

    /**
     * Decode-time recall, after a decode step's (or a prefill segment's batch of) rows attended over the hot cache: promotes the cold chunks the step's
     * queries would attend to and merges their share of attention into {@code out}; see {@link DecodeRecall#afterAttention}.
     */
    void recallWhileDecoding(int layer, float[] q, int rows, float[] logNormalisers, float[] out) {
        decodeRecall.afterAttention(position, layer, q, rows, logNormalisers, out, caches[layer], cold);
    }

    /** Feeds the decoding cap's query ring (no-op without a cap). */
    void observeQueries(int layer, float[] q, int rows) {
        if (decodeCap != null) decodeCap.observe(layer, q, rows);
    }

    /** Moves every cold row back into the hot caches; returns, per layer, the positions that were cold. */
    int[][] recallColdRows() {
        int[][] wereCold = new int[caches.length][];
        for (int l = 0; l < caches.length; l++) wereCold[l] = cold.positions(l);
        cold.promoteAll(caches);
        return wereCold;
    }

    /** Cold rows of all layers. */
    long coldRowsTotal() {
        long n = 0;
        for (int l = 0; l < caches.length; l++) n += coldRows(l);
        return n;
    }

    /**
     * Records the tiers after a prefill's re-selection; {@code wereCold} (per layer, ascending) are the positions that
     * were cold before it, or null when nothing was recalled.
     */
    void recordPrefillReselection(int[][] wereCold, long nanos) {
        long coldBefore = 0, promoted = 0;
        for (int l = 0; wereCold != null && l < caches.length; l++) {
            coldBefore += wereCold[l].length;
            promoted += caches[l].slotsOf(wereCold[l]).length;
        }
        recordReselection(coldBefore, promoted, nanos);
    }

    /** Records the tiers after a re-selection that started with {@code coldBefore} cold rows. */
    void recordReselection(long coldBefore, long promoted, long nanos) {
        long hot = 0;
        for (LayerKvCache c : caches) hot += c.size();
        long coldNow = coldRowsTotal();
        lastRecallStats = new RecallStats(hot, kvBytes(), coldNow, coldBytesInRam(), coldBytesOnDisk(), promoted,
                coldNow - coldBefore + promoted, nanos);
    }

    PrefillPlan prefillPlan() {
        return prefillPlan;
    }

    void beginPrefill(PrefillPlan plan) {
        this.prefillPlan = plan;
    }

    /**
     * Ends one segment of a segmented prefill: its rows are compressed, so the history up to here can no longer be
     * rewound, and until the whole prefill ends there are no prefill logits to generate from again.
     */
    void endSegment() {
        this.prefillPlan = null;
        this.compressedUpTo = position;
        this.prefillLogits = null;
    }

    /** True while no row has been evicted: every layer's hot cache holds every position processed so far. */
    boolean holdsEveryPosition() {
        for (int l = 0; l < caches.length; l++) if (caches[l].size() != position || coldRows(l) != 0) return false;
        return true;
    }

    void endPrefill(CompressionStats stats, float[] logits) {
        this.prefillPlan = null;
        if (decodeRecall != null) decodeRecall.afterPrefill();
        this.lastStats = stats;
        this.compressedUpTo = position;
        this.prefillLogits = logits.clone();
    }

    /** The logits of the last prefill's last token. */
    float[] logitsAtPrefillEnd() {
        if (prefillLogits == null) {
            throw new IllegalStateException("session " + id + " has no prefill of its own to generate from again (none yet, or restored from a snapshot)");
        }
        return prefillLogits.clone();
    }

    void recordStats(CompressionStats stats) {
        this.lastStats = stats;
    }

    /** Restores the non-cache state of a snapshot into this new session (its caches are already filled). */
    void restore(int[] tokens, int compressedUpTo, int pendingToken, CompressionStats stats, RecallStats recallStats) {
        advance(tokens);
        this.compressedUpTo = compressedUpTo;
        this.pendingToken = pendingToken;
        this.lastStats = stats;
        this.lastRecallStats = recallStats;
    }

    void advance(int[] tokens) {
        if (position + tokens.length > history.length) history = Arrays.copyOf(history, Math.max(history.length * 2, position + tokens.length));
        System.arraycopy(tokens, 0, history, position, tokens.length);
        position += tokens.length;
    }

    void truncate(int newPosition) {
        if (decodeRecall != null) decodeRecall.undoFrom(newPosition, caches, cold);
        for (LayerKvCache c : caches) c.truncateFrom(newPosition);
        if (decodeCap != null) decodeCap.forget();
        position = newPosition;
        pendingToken = -1;
    }

    int pendingToken() {
        return pendingToken;
    }

    void setPendingToken(int token) {
        this.pendingToken = token;
    }

    /** Frees the cache; {@code because} ends the message of any later use ("session ... is closed: because"). */
    void markClosed(String because) {
        if (closedBecause != null) return;
        closedBecause = because;
        prefillPlan = null;
        if (cold != null) cold.close();
        prefillLogits = null;
        for (int l = 0; l < caches.length; l++) {
            caches[l] = new LayerKvCache(caches[l].precision(), caches[l].rowStride(), caches[l].headSize(), 0);
        }
    }

    void checkOpen() {
        if (closedBecause != null) throw new IllegalStateException("session " + id + " is closed: " + closedBecause);
    }

    void beginGeneration() {
        if (!generating.compareAndSet(false, true)) {
            throw new IllegalStateException("session " + id + " is already generating on another thread (one generation at a time per session)");
        }
    }

    void endGeneration() {
        generating.set(false);
    }
}
