package io.github.chunkkv.langchain4j;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.output.FinishReason;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.CompressionStats;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * One loaded Jlama model with its compressed-KV wrapper and session cache, shared by the blocking and the streaming
 * chat model built for the same folder. Generation is serialized: Jlama runs one forward pass at a time per model.
 */
final class JlamaEngine {
    private final AbstractModel model;
    private final ChunkKvModel kv;
    private final PromptRenderer renderer;
    private final SessionCache sessions;
    private final Random random = new Random();
    private boolean closed;

    JlamaEngine(AbstractModel model, int maxSessions) {
        this.model = model;
        this.kv = ChunkKvJlama.wrap(model, ChunkKvConfig.full());
        this.renderer = rendererFor(model);
        this.sessions = new SessionCache(kv, maxSessions);
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
     * Generates a reply, continuing a cached session when the prompt extends one. {@code onText} receives the reply
     * as it becomes final (stop sequences already removed).
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
            return decode(request, context, session, prompt, lease.reused(), onText);
        } catch (GenerationCancelled e) {
            throw e; // stopped between tokens: the session is consistent and stays cached
        } catch (RuntimeException | Error e) {
            sessions.discard(session);
            throw e;
        }
    }

    private Generation decode(GenerationRequest request, PromptContext context, KvSession session, int[] prompt, int reused,
            Consumer<String> onText) {
        float[] logits = session.prefill(Arrays.copyOfRange(prompt, reused, prompt.length));
        CompressionStats stats = session.lastStats();
        Tokenizer tokenizer = model.getTokenizer();
        List<Integer> eos = model.getConfig().eosTokens;
        StopSequenceMatcher stops = new StopSequenceMatcher(request.stopSequences());
        StringBuilder withSpecialTokens = new StringBuilder();
        FinishReason reason;
        int generated = 0;
        long start = System.nanoTime();
        while (true) {
            int next = Sampler.sample(logits, request.temperature(), random);
            if (eos.contains(next)) {
                reason = FinishReason.STOP;
                break;
            }
            generated++;
            String piece = tokenizer.decode(next);
            withSpecialTokens.append(piece);
            if (!tokenizer.getModel().isSpecialToken(next)) {
                emit(onText, stops.append(piece));
                if (stops.stopped()) {
                    reason = FinishReason.STOP;
                    break;
                }
            }
            if (generated >= request.maxOutputTokens() || session.position() >= kv.maxPositions()) {
                reason = FinishReason.LENGTH;
                break;
            }
            logits = session.decode(next);
        }
        emit(onText, stops.flush());
        long decodeNanos = System.nanoTime() - start;
        List<ToolExecutionRequest> toolCalls = reason == FinishReason.STOP && !stops.stopped() && !request.tools().isEmpty()
                ? toolCalls(context, stops.text(), withSpecialTokens.toString(), prompt.length, generated)
                : List.of();
        return new Generation(session.id(), stops.text(), toolCalls, toolCalls.isEmpty() ? reason : FinishReason.TOOL_EXECUTION,
                prompt.length, reused, generated, stats, request.compression().toSpec(), decodeNanos);
    }

    /** Jlama's tool-call parsing of a finished reply, mapped to LangChain4j requests (empty when it is no tool call). */
    List<ToolExecutionRequest> toolCalls(PromptContext context, String text, String withSpecialTokens, int promptTokens,
            int generated) {
        Generator.Response response = kv.extractToolCalls(context, new Generator.Response(text, withSpecialTokens,
                Generator.FinishReason.STOP_TOKEN, promptTokens, generated, 0, 0));
        return ToolMapping.toExecutionRequests(response.toolCalls);
    }

    private static void emit(Consumer<String> onText, String text) {
        if (!text.isEmpty()) onText.accept(text);
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
