package io.github.chunkkv.langchain4j;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.store.SharedSessions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.UUID;

/**
 * A bounded, least-recently-used set of idle KV sessions, looked up by token prefix. Chat clients re-send the whole
 * conversation every turn; when a prompt starts with a session's token history, that session's (compressed) cache
 * is continued and only the new tokens need a prefill. A session is lent to one generation at a time: while lent it
 * is out of the cache (a concurrent request gets another), and it comes back when the generation ends. Evicted
 * sessions are closed, which frees their cache. With a {@link SharedSessions} store, sessions are also written behind
 * after each turn and looked up there on a request, so that several instances can answer the turns of one conversation.
 *
 * <p>Not thread-safe: the owning {@link JlamaEngine} serializes every call.
 */
final class SessionCache implements AutoCloseable {
    /** A session ready to prefill {@code prompt[reused..]}: its history is exactly {@code prompt[0..reused)}. */
    record Lease(KvSession session, int reused) {}

    private static final long STORE_WRITE_WAIT_MILLIS = 60_000;

    private final ChunkKvModel model;
    private final int capacity;
    private final SharedSessions shared;
    private final LinkedHashMap<UUID, KvSession> sessions = new LinkedHashMap<>(16, 0.75f, true); // idle ones
    private int lent;

    /** @param shared the store other instances share sessions through; null: none */
    SessionCache(ChunkKvModel model, int capacity, SharedSessions shared) {
        if (capacity < 1) throw new IllegalArgumentException("maxSessions must be >= 1, got " + capacity);
        this.model = model;
        this.capacity = capacity;
        this.shared = shared;
    }

    /**
     * Lends the idle session sharing the longest usable prefix with {@code prompt} (same compression), rewound to that
     * prefix, or a fresh session; give it back with {@link #giveBack} or {@link #discard}. A prefix is usable when it
     * covers everything the session has compressed (compression already used that history, so it cannot be partly
     * undone). It leaves at least one prompt token to prefill, except when the whole prompt is what the session's last
     * prefill ended with: then {@code reused == prompt.length} and the session can {@link KvSession#regenerate} from there.
     * With a shared store, a stored session longer than the best local prefix (another instance answered the turn
     * before) is loaded and competes too.
     */
    Lease acquire(int[] prompt, ChunkKvConfig config) {
        Lease best = longestPrefix(prompt, config);
        if (shared != null) {
            Optional<KvSession> stored = shared.resume(prompt, config, best == null ? 0 : best.reused());
            if (stored.isPresent()) {
                makeRoom();
                sessions.put(stored.get().id(), stored.get());
                best = longestPrefix(prompt, config);
            }
        }
        lent++;
        if (best == null) return new Lease(model.openSession(config), 0);
        sessions.remove(best.session().id());
        if (best.session().position() > best.reused()) best.session().rewind(best.reused());
        return best;
    }

    private Lease longestPrefix(int[] prompt, ChunkKvConfig config) {
        KvSession best = null;
        int bestPrefix = 0;
        for (KvSession s : sessions.values()) {
            if (!s.config().equals(config)) continue;
            int common = commonPrefix(s.tokens(), prompt);
            int prefix = common == prompt.length && s.compressedUpTo() == prompt.length ? prompt.length : Math.min(common, prompt.length - 1);
            if (prefix > bestPrefix && prefix >= s.compressedUpTo()) {
                best = s;
                bestPrefix = prefix;
            }
        }
        return best == null ? null : new Lease(best, bestPrefix);
    }

    /** Takes a lent session back as the most recently used, closing the least recently used beyond the capacity. */
    void giveBack(KvSession session) {
        lent--;
        makeRoom();
        sessions.put(session.id(), session);
    }

    /** Closes a lent session whose state can no longer be trusted (a generation failed half-way). */
    void discard(KvSession session) {
        lent--;
        session.close();
    }

    /** Writes a session behind to the shared store, if there is one. */
    void publish(KvSession session) {
        if (shared != null) shared.publishLater(session);
    }

    /** Waits for the sessions written behind so far (tests, and a graceful close). */
    void awaitStoreWrites() {
        if (shared != null) shared.awaitWrites(STORE_WRITE_WAIT_MILLIS);
    }

    /** Idle and lent sessions. */
    int size() {
        return sessions.size() + lent;
    }

    /** Closes the least recently used idle sessions until one more fits. */
    private void makeRoom() {
        Iterator<KvSession> eldest = sessions.values().iterator();
        while (sessions.size() >= capacity && eldest.hasNext()) {
            KvSession s = eldest.next();
            eldest.remove();
            s.close();
        }
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    @Override
    public void close() {
        if (shared != null) shared.close(); // finishes the writes behind before the sessions are freed
        for (KvSession s : new ArrayList<>(sessions.values())) s.close();
        sessions.clear();
    }
}
