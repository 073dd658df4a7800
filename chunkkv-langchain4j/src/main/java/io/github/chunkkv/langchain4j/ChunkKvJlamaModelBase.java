package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * What the blocking and the streaming chat model share: the loaded engine, the default request parameters, the
 * listeners, the provider facts, and answering a request. The two subclasses differ only in how a reply is delivered.
 */
public abstract class ChunkKvJlamaModelBase implements AutoCloseable {
    private final ChunkKvChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;
    private final Set<Capability> capabilities;
    private final Duration timeout;
    private final ExchangeLog log;
    private final JlamaEngine engine;
    private final AtomicBoolean closed = new AtomicBoolean();

    ChunkKvJlamaModelBase(ChunkKvJlamaModelBuilder<?> builder) {
        this.defaults = builder.validatedDefaults(); // every option checked before the model is loaded
        this.listeners = builder.configuredListeners();
        this.capabilities = builder.configuredCapabilities();
        this.timeout = builder.configuredTimeout();
        this.log = builder.exchangeLog(getClass());
        this.engine = builder.acquireEngine();
    }

    /** The builder's options merged into its default request parameters; every request is merged with these. */
    public ChunkKvChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    /** The listeners given to the builder. */
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    /** {@link ModelProvider#OTHER}: LangChain4j has no value for an in-process Jlama model. */
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** What the builder declared (none by default). */
    public Set<Capability> supportedCapabilities() {
        return capabilities;
    }

    /** Counts tokens with this model's tokenizer and chat template, e.g. for {@code TokenWindowChatMemory}. */
    public JlamaTokenCountEstimator tokenCountEstimator() {
        return new JlamaTokenCountEstimator(engine.jlamaModel());
    }

    /**
     * Merges the defaults into a request and validates it against this model, before any generation: what cannot be
     * served is thrown here. The public {@code chat} methods have merged the defaults already; merging again is
     * harmless and keeps a direct {@code doChat} call correct.
     */
    final GenerationRequest resolve(ChatRequest request) {
        ChatRequest merged = ChatRequest.builder()
                .messages(request.messages())
                .parameters(request.parameters() == null ? defaults : defaults.overrideWith(request.parameters()))
                .build();
        log.request(merged);
        return GenerationRequest.of(merged, defaults.modelName()).withTimeLimit(timeout).requireRenderableBy(engine.renderer());
    }

    /** Answers a resolved request; {@code onText} receives the reply as it becomes final. */
    final ChatResponse answer(GenerationRequest request, Consumer<String> onText) {
        ChatResponse response = engine.generate(request, onText).toChatResponse(defaults.modelName());
        log.response(response);
        return response;
    }

    /** Waits until the conversations written behind so far are in the {@code store} (at most a minute). */
    void awaitStoreWrites() {
        engine.awaitStoreWrites();
    }

    /** Frees this model's claim on the shared Jlama model; the last user frees its sessions and weights. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) SharedEngines.release(engine);
    }
}
