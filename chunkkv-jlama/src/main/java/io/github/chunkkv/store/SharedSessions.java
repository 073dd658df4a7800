package io.github.chunkkv.store;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;

/**
 * Sessions of one model shared through a {@link KvCacheStore}, so that any process with the same model can continue
 * a conversation, or start from a document, that another one prefilled.
 *
 * <p>Keys. An entry is a session snapshot ({@link KvSession#snapshot()}) under
 * {@code chunkkv:<model id>:<policy hash>:s:<hash of its tokens>}: the model fingerprint, the policy and the token
 * prefix it holds; a document published by {@code ./chunkkv snapshot --publish} is the same thing, a session whose
 * tokens are the document. To find entries that a prompt extends without knowing their lengths, every entry is also a
 * member {@code <length>:<hash>} of the index {@code chunkkv:<model id>:<policy hash>:i:<hash of its first
 * }{@value #ANCHOR_TOKENS}{@code  tokens>}; {@link #resume} hashes the prompt's prefixes of the listed lengths only.
 * Sessions shorter than {@value #ANCHOR_TOKENS} tokens are not shared: prefilling them again is cheap.
 *
 * <p>Only exact prefixes are reused: a snapshot is continued when its tokens are the prompt's first tokens. Several
 * separately prefilled documents cannot be combined into one context: each was encoded without the others in sight,
 * so their rows would miss the cross-attention a joint prefill has (CacheBlend recomputes a selected part of the rows
 * to repair that); that is out of scope here.
 *
 * <p>Failures of the store never reach the caller of {@link #resume} or {@link #publishLater}: they are logged as
 * warnings and the session is prefilled, or kept, locally. An entry that fails its checksum or does not load into
 * this model is deleted and never used.
 */
public final class SharedSessions implements AutoCloseable {
    /** Tokens hashed for the index key; shorter sessions are not shared. */
    public static final int ANCHOR_TOKENS = 64;
    private static final int PENDING_WRITES = 16;

    /** Where a session was last stored: replacing it with a longer one of the same conversation deletes it. */
    private record Stored(String entryKey, String indexKey, String member) {}

    private final ChunkKvModel model;
    private final KvCacheStore store;
    private final Logger log;
    private final ThreadPoolExecutor writer;
    private final Map<KvSession, Stored> storedAs = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * Sessions of {@code model} shared through {@code store}.
     *
     * @param log receives a warning for every store failure and every bad entry dropped
     */
    public SharedSessions(ChunkKvModel model, KvCacheStore store, Logger log) {
        this.model = Objects.requireNonNull(model, "model");
        this.store = Objects.requireNonNull(store, "store");
        this.log = Objects.requireNonNull(log, "log");
        // One writer keeps the writes of a conversation in order; when the store falls behind, the oldest pending
        // snapshot is dropped (a later one of the same conversation supersedes it anyway).
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(PENDING_WRITES), r -> {
            Thread t = new Thread(r, "chunkkv-store-writer");
            t.setDaemon(true);
            return t;
        }, (task, pool) -> {
            pool.getQueue().poll();
            log.warn("KV cache store writes fall behind: dropped the oldest pending snapshot");
            pool.execute(task);
        });
    }

    /** The store key of a session holding exactly {@code tokens} under {@code config}. */
    public String entryKey(int[] tokens, ChunkKvConfig config) {
        return namespace(config) + ":s:" + hash(tokens, tokens.length);
    }

    /**
     * Stores {@code session} now and indexes it; store failures are thrown (a command publishing a document wants to
     * know). Returns its key.
     *
     * @throws IllegalArgumentException when the session is shorter than {@value #ANCHOR_TOKENS} tokens
     */
    public String publish(KvSession session) {
        int[] tokens = session.tokens();
        requireShareable(tokens);
        return write(session, tokens, session.config(), session.snapshot()).entryKey();
    }

    /**
     * Writes {@code session} behind: its snapshot is taken now (the session may change right after), the store is
     * written on a background thread. Failures are logged. Sessions shorter than {@value #ANCHOR_TOKENS} tokens are
     * skipped.
     */
    public void publishLater(KvSession session) {
        int[] tokens = session.tokens();
        if (tokens.length < ANCHOR_TOKENS) return;
        ChunkKvConfig config = session.config();
        byte[] snapshot = session.snapshot();
        writer.execute(() -> {
            try {
                write(session, tokens, config, snapshot);
            } catch (RuntimeException e) {
                log.warn("KV cache store unavailable, the conversation stays local only: cannot write {} tokens: {}", tokens.length, e.toString());
            }
        });
    }

    private Stored write(KvSession session, int[] tokens, ChunkKvConfig config, byte[] snapshot) {
        Stored stored = new Stored(entryKey(tokens, config), indexKey(tokens, config), tokens.length + ":" + hash(tokens, tokens.length));
        store.put(stored.entryKey(), snapshot);
        store.addToIndex(stored.indexKey(), stored.member());
        Stored previous = storedAs.put(session, stored);
        if (previous != null && !previous.equals(stored)) forget(previous);
        return stored;
    }

    /**
     * The longest stored session that {@code prompt} extends under {@code config}, holding more than {@code longerThan}
     * tokens, loaded into the model; empty when there is none, or when the store fails (logged). Corrupt entries, and
     * entries that do not load into this model, are deleted and skipped.
     */
    public Optional<KvSession> resume(int[] prompt, ChunkKvConfig config, int longerThan) {
        if (prompt.length < ANCHOR_TOKENS) return Optional.empty();
        try {
            return store.index(indexKey(prompt, config)).stream()
                    .map(StoredMember::parse)
                    .flatMap(Optional::stream)
                    .filter(m -> m.length() > longerThan && m.length() <= prompt.length)
                    .sorted(Comparator.comparingInt(StoredMember::length).reversed())
                    .filter(m -> m.hash().equals(hash(prompt, m.length())))
                    .map(m -> load(prompt, config, m))
                    .flatMap(Optional::stream)
                    .findFirst();
        } catch (RuntimeException e) {
            log.warn("KV cache store unavailable, prefilling locally: {}", e.toString());
            return Optional.empty();
        }
    }

    private Optional<KvSession> load(int[] prompt, ChunkKvConfig config, StoredMember member) {
        int[] tokens = Arrays.copyOf(prompt, member.length());
        Stored stored = new Stored(entryKey(tokens, config), indexKey(prompt, config), member.text());
        Optional<byte[]> bytes = store.get(stored.entryKey());
        if (bytes.isEmpty()) { // expired, evicted or dropped as corrupt by the store
            store.removeFromIndex(stored.indexKey(), stored.member());
            return Optional.empty();
        }
        KvSession session;
        try {
            session = model.load(bytes.get(), "store entry " + stored.entryKey());
        } catch (IllegalArgumentException e) {
            log.warn("dropped a bad KV cache store entry: {}", e.getMessage());
            forget(stored);
            return Optional.empty();
        }
        if (!Arrays.equals(session.tokens(), tokens) || !session.config().equals(config)) {
            log.warn("dropped KV cache store entry {}: it holds other tokens or another policy than its key says", stored.entryKey());
            session.close();
            forget(stored);
            return Optional.empty();
        }
        storedAs.put(session, stored);
        return Optional.of(session);
    }

    private void forget(Stored stored) {
        store.delete(stored.entryKey());
        store.removeFromIndex(stored.indexKey(), stored.member());
    }

    /** Waits until every write queued so far is done (or has failed and been logged), at most {@code timeoutMillis}. */
    public void awaitWrites(long timeoutMillis) {
        try {
            CompletableFuture.runAsync(() -> {}, writer).get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("KV cache store writes still pending after {} ms", timeoutMillis);
        }
    }

    /** Finishes the queued writes (up to 30 s) and stops the writer; the store itself stays open. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(30, TimeUnit.SECONDS)) log.warn("KV cache store writes still pending at close: dropped");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void requireShareable(int[] tokens) {
        if (tokens.length < ANCHOR_TOKENS) {
            throw new IllegalArgumentException("a shared session needs at least " + ANCHOR_TOKENS + " tokens, this one has " + tokens.length);
        }
    }

    private String indexKey(int[] tokens, ChunkKvConfig config) {
        return namespace(config) + ":i:" + hash(tokens, ANCHOR_TOKENS);
    }

    private String namespace(ChunkKvConfig config) {
        return "chunkkv:" + model.modelId() + ":" + Sha256.hex(config.toSpec().getBytes(StandardCharsets.UTF_8), 12);
    }

    /** 128 bits of the SHA-256 of {@code tokens[0..length)} as big-endian ints. */
    static String hash(int[] tokens, int length) {
        ByteBuffer bytes = ByteBuffer.allocate(length * Integer.BYTES);
        bytes.asIntBuffer().put(tokens, 0, length);
        return Sha256.hex(bytes.array(), 32);
    }

    /** An index member: the length of a stored session's tokens and their hash. */
    private record StoredMember(int length, String hash, String text) {
        static Optional<StoredMember> parse(String text) {
            int colon = text.indexOf(':');
            try {
                return Optional.of(new StoredMember(Integer.parseInt(text.substring(0, colon)), text.substring(colon + 1), text));
            } catch (RuntimeException e) {
                return Optional.empty(); // not written by this class: ignored
            }
        }
    }
}
