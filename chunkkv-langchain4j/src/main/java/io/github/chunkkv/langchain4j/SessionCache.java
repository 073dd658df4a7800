package io.github.chunkkv.langchain4j;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.UUID;

/**
 * A bounded, least-recently-used set of KV sessions, looked up by token prefix. Chat clients re-send the whole
 * conversation every turn; when a prompt starts with a session's token history, that session's (compressed) cache
 * is continued and only the new tokens need a prefill. Evicted sessions are closed, which frees their cache.
 *
 * <p>Not thread-safe: the owning {@link JlamaEngine} serializes every call.
 */
final class SessionCache implements AutoCloseable {
    /** A session ready to prefill {@code prompt[reused..]}: its history is exactly {@code prompt[0..reused)}. */
    record Lease(KvSession session, int reused) {}

    private final ChunkKvModel model;
    private final int capacity;
    private final LinkedHashMap<UUID, KvSession> sessions = new LinkedHashMap<>(16, 0.75f, true);

    SessionCache(ChunkKvModel model, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("maxSessions must be >= 1, got " + capacity);
        this.model = model;
        this.capacity = capacity;
    }

    /**
     * The session sharing the longest usable prefix with {@code prompt} (same compression), rewound to that prefix; or
     * a fresh session. A prefix is usable when it covers everything the session has compressed (compression already
     * used that history, so it cannot be partly undone). It leaves at least one prompt token to prefill, except when
     * the whole prompt is what the session's last prefill ended with: then {@code reused == prompt.length} and the
     * session can {@link KvSession#regenerate} from there.
     */
    Lease acquire(int[] prompt, ChunkKvConfig config) {
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
        if (best == null) return new Lease(open(config), 0);
        sessions.get(best.id()); // mark as most recently used
        if (best.position() > bestPrefix) best.rewind(bestPrefix);
        return new Lease(best, bestPrefix);
    }

    /** Closes a session whose state can no longer be trusted (a generation failed half-way). */
    void discard(KvSession session) {
        sessions.remove(session.id());
        session.close();
    }

    int size() {
        return sessions.size();
    }

    private KvSession open(ChunkKvConfig config) {
        Iterator<KvSession> eldest = sessions.values().iterator();
        while (sessions.size() >= capacity) {
            KvSession s = eldest.next();
            eldest.remove();
            s.close();
        }
        KvSession s = model.openSession(config);
        sessions.put(s.id(), s);
        return s;
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    @Override
    public void close() {
        for (KvSession s : new ArrayList<>(sessions.values())) s.close();
        sessions.clear();
    }
}
