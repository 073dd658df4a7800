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
import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.SharedSessions;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * One loaded Jlama model with its compressed-KV wrapper and session cache, shared by the blocking and the streaming
 * chat model built for the same folder. Generation is serialized: Jlama runs one forward pass at a time per model.
 */
final class JlamaEngine {
    private final AbstractModel model;
    private final ChunkKvModel kv;
    private final PromptRenderer renderer;
    private final SessionCache sessions;
    private boolean closed;

    /** An engine whose sessions stay in this JVM. */
    JlamaEngine(AbstractModel model, int maxSessions) {
        this(model, maxSessions, null, null);
    }

    /**
     * @param store where sessions are shared with other instances; null: none
     * @param storeLog receives the store's warnings
     */
    JlamaEngine(AbstractModel model, int maxSessions, KvCacheStore store, Logger storeLog) {
        this.model = model;
        this.kv = ChunkKvJlama.wrap(model, ChunkKvConfig.full());
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
     * already removed, and the separator the chat template puts before an assistant message, see {@link ReplyText}).
     */
    synchronized Generation generate(GenerationRequest request, Consumer<String> onText) {
        if (closed) throw new IllegalStateException("the chat model was closed");
        PromptContext context = renderer.render(request.messages(), request.tools(), true);
        int[] prompt = model.encodePrompt(context);
        if (prompt.length > kv.maxPositions()) {
            throw new InvalidRequestException("the prompt has " + prompt.length + " tokens, but this model holds at most "
                    + kv.maxPositions() + " tokens per conversation (context length " + model.getConfig().contextLength
                    + "): shorten the conversation, e.g. with a smaller chat memory");
        }
        SessionCache.Lease lease;
        try {
            lease = sessions.acquire(prompt, request.compression());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("kvCompression " + request.compression() + " cannot be used with this model: " + e.getMessage(), e);
        }
        KvSession session = lease.session();
        try {
            ReplyText reply = new ReplyText(renderer.assistantContentSeparator(), onText);
            TextListener listener = (text, generated, decodeNanos) -> reply.accept(text);
            GenerationResult result = lease.reused() == prompt.length
                    ? session.regenerate(request.options(), listener)
                    : session.generate(Arrays.copyOfRange(prompt, lease.reused(), prompt.length), request.options(), listener);
            sessions.publish(session);
            // Only a reply the model ended itself can be a complete tool call.
            List<ToolExecutionRequest> toolCalls = result.stopReason() == StopReason.END_OF_SEQUENCE && !request.tools().isEmpty()
                    ? toolCalls(context, result)
                    : List.of();
            return new Generation(session.id(), result, reply.finish(result), toolCalls, prompt.length, lease.reused(),
                    request.compression().toSpec());
        } catch (GenerationCancelled e) {
            throw e; // stopped between tokens: the session is consistent and stays cached
        } catch (RuntimeException | Error e) {
            sessions.discard(session);
            throw e;
        }
    }

    /** Waits until the sessions written behind so far are in the store. */
    void awaitStoreWrites() {
        sessions.awaitStoreWrites(); // not synchronized: the writes do not need the engine
    }

    /** Jlama's tool-call parsing of a finished reply, mapped to LangChain4j requests (empty when it is no tool call). */
    List<ToolExecutionRequest> toolCalls(PromptContext context, GenerationResult reply) {
        return ToolMapping.toExecutionRequests(kv.extractToolCalls(context, reply.toJlamaResponse()).toolCalls);
    }

    /** Frees every session and the Jlama model. */
    synchronized void close() {
        if (closed) return;
        closed = true;
        sessions.close();
        kv.close();
        model.close();
    }
}
