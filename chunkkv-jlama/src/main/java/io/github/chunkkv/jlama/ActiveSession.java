package io.github.chunkkv.jlama;

/**
 * The session a forward pass currently runs for. Jlama's block API passes only its own KvBuffer (whose constructor is
 * not public), so the twin attention layers find their cache through this holder instead; {@link ChunkKvModel}
 * serializes calls, so one holder per wrapped model suffices.
 */
final class ActiveSession {
    private KvSession session;

    KvSession get() {
        if (session == null) throw new IllegalStateException("no ChunkKV session is active; run the model through ChunkKvModel");
        return session;
    }

    void set(KvSession session) {
        this.session = session;
    }
}
