package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** What the blocking and the streaming model have in common: the shared engine, the defaults, the listeners. */
final class ChatModelCore {
    private final JlamaEngine engine;
    private final String modelName;
    private final ChunkKvChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;
    private final AtomicBoolean closed = new AtomicBoolean();

    ChatModelCore(JlamaEngine engine, String modelName, ChunkKvChatRequestParameters defaults, List<ChatModelListener> listeners) {
        this.engine = engine;
        this.modelName = modelName;
        this.defaults = defaults;
        this.listeners = listeners;
    }

    JlamaEngine engine() {
        return engine;
    }

    String modelName() {
        return modelName;
    }

    ChunkKvChatRequestParameters defaults() {
        return defaults;
    }

    List<ChatModelListener> listeners() {
        return listeners;
    }

    /**
     * Resolves a request against the defaults. The public {@code chat} methods have merged them already; merging again
     * is harmless and keeps {@code doChat} correct when it is called directly.
     */
    GenerationRequest resolve(ChatRequest request) {
        ChatRequest merged = ChatRequest.builder().messages(request.messages()).parameters(merge(request.parameters())).build();
        return GenerationRequest.of(merged, modelName).requireRenderableBy(engine.renderer());
    }

    private ChatRequestParameters merge(ChatRequestParameters parameters) {
        return parameters == null ? defaults : defaults.overrideWith(parameters);
    }

    void close() {
        if (closed.compareAndSet(false, true)) SharedEngines.release(engine);
    }
}
