package io.github.chunkkv.langchain4j;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.exception.InvalidRequestException;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.GenerationResult;
import io.github.chunkkv.jlama.GenerationResult.StopReason;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.TextListener;
import io.github.chunkkv.jlama.ModelLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.SharedSessions;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * One loaded Jlama model with its compressed-KV wrapper and session cache, shared by the blocking and the streaming
 * chat model built for the same folder.
 *
 * <p>Locking: this object's monitor guards the session cache and the closed flag only, for the few microseconds of
 * lending or returning a session; the generation itself runs without it, taking the Jlama model's
 * {@link io.github.chunkkv.jlama.ModelLock} once per model step, so concurrent requests interleave token by token and
 * the reply callback runs with no lock of ours held (it may build, use or close chat models). Lock order, the only one:
 * {@link SharedEngines}' registry (never held while calling in here), then this monitor, then the model lock.
 */
final class JlamaEngine {
    private final AbstractModel model;
    private final ChunkKvModel kv;
    private final PromptRenderer renderer;
    private final SessionCache sessions;
    private final Path workingDir;
    private boolean closed;

    /**
     * @param workingDir Jlama's working folder for this model, deleted on close; null when the caller owns it
     * @param store where sessions are shared with other instances; null: none
     * @param storeLog receives the store's warnings
     */
    JlamaEngine(AbstractModel model, int maxSessions, Path workingDir, KvCacheStore store, Logger storeLog) {
        this.model = model;
        this.workingDir = workingDir;
        this.kv = ChunkKvJlama.wrap(model, ChunkKvConfig.full());
        // The session cache bounds idle sessions and lent ones are bounded by the threads generating: no second bound.
        kv.setMaxOpenSessions(ChunkKvModel.MAX_OPEN_SESSIONS);
        this.renderer = rendererFor(model);
        this.sessions = new SessionCache(kv, maxSessions, store == null ? null : new SharedSessions(kv, store, storeLog));
    }

    static PromptRenderer rendererFor(AbstractModel model) {
        Tokenizer t = model.getTokenizer();
        return new PromptRenderer(t.promptSupport(), t.getModel().hasToolSupport());
    }

    AbstractModel jlamaModel() {
        return model;
    }

    PromptRenderer renderer() {
        return renderer;
    }

    /** Tokens a session can hold in total: prompt and reply. */
    int maxPositions() {
        return kv.maxPositions();
    }

    synchronized int openSessions() {
        return sessions.size();
    }

    /**
     * Generates a reply, continuing a cached session when the prompt extends one (or generating again from the end of
     * its prompt when it is the same prompt). {@code onText} receives the reply as it becomes final (stop sequences
     * already removed, and the separator the chat template puts before an assistant message, see {@link ReplyText}),
     * on this thread, with no lock held.
     */
    Generation generate(GenerationRequest request, Consumer<String> onText) {
        PromptContext context = renderer.render(request.messages(), request.tools(), true);
        int[] prompt;
        SessionCache.Lease lease;
        synchronized (this) {
            if (closed) throw new IllegalStateException("the chat model was closed");
            prompt = model.encodePrompt(context);
            if (prompt.length > kv.maxPositions()) {
                throw new InvalidRequestException("the prompt has " + prompt.length + " tokens, but this model holds at most "
                        + kv.maxPositions() + " tokens per conversation (context length " + model.getConfig().contextLength
                        + "): shorten the conversation, e.g. with a smaller chat memory");
            }
            try {
                lease = sessions.acquire(prompt, request.compression());
            } catch (IllegalArgumentException e) {
                throw new InvalidRequestException("kvCompression " + request.compression() + " cannot be used with this model: " + e.getMessage(), e);
            }
        }
        KvSession session = lease.session();
        boolean consistent = false;
        try {
            ReplyText reply = new ReplyText(renderer.assistantContentSeparator(), onText);
            TextListener listener = (text, generated, decodeNanos) -> reply.accept(text);
            GenerationResult result = lease.reused() == prompt.length
                    ? session.regenerate(request.options(), listener)
                    : session.generate(Arrays.copyOfRange(prompt, lease.reused(), prompt.length), request.options(), listener);
            consistent = true;
            sessions.publish(session);
            // Only a reply the model ended itself can be a complete tool call.
            List<ToolExecutionRequest> toolCalls = result.stopReason() == StopReason.END_OF_SEQUENCE && !request.tools().isEmpty()
                    ? toolCalls(context, result)
                    : List.of();
            return new Generation(session.id(), result, reply.finish(result), toolCalls, prompt.length, lease.reused(),
                    request.compression().toSpec(), kv.workingTypes(), session.lastRecallStats());
        } catch (GenerationCancelled e) {
            consistent = true; // stopped between tokens: every token the session holds was decoded
            throw e;
        } finally {
            giveBack(session, consistent);
        }
    }

    /** Returns a lent session to the cache, or closes it when its state is not to be trusted or the engine is closed. */
    private synchronized void giveBack(KvSession session, boolean consistent) {
        if (consistent && !closed && !session.isClosed()) sessions.giveBack(session);
        else sessions.discard(session);
    }

    /** Waits until the sessions written behind so far are in the store. */
    void awaitStoreWrites() {
        sessions.awaitStoreWrites(); // not synchronized: the writes do not need the engine
    }

    /** Jlama's tool-call parsing of a finished reply, mapped to LangChain4j requests (empty when it is no tool call). */
    List<ToolExecutionRequest> toolCalls(PromptContext context, GenerationResult reply) {
        return ToolMapping.toExecutionRequests(kv.extractToolCalls(context, reply.toJlamaResponse()).toolCalls);
    }

    /**
     * Frees every session and the Jlama model. Generations in progress are not awaited: their sessions are closed
     * under them, so each fails at its next model step, after which nothing touches the model.
     */
    void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
            sessions.close();
        }
        kv.close(); // closes the lent sessions too; waits for the model step in progress only
        ReentrantLock lock = ModelLock.of(model);
        lock.lock();
        try {
            model.close();
        } finally {
            lock.unlock();
        }
        if (workingDir != null) deleteWorkingDir(workingDir);
    }

    /** Deletes a working folder Jlama left empty (the engine never runs stock Jlama's paged cache, which writes there). */
    static void deleteWorkingDir(Path workingDir) {
        try {
            Files.deleteIfExists(workingDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete Jlama's working folder " + workingDir, e);
        }
    }
}
