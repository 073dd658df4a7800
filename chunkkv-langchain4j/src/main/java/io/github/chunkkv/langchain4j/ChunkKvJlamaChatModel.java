package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import java.util.Set;

/**
 * A LangChain4j {@link ChatModel} running a Jlama model in-process with a compressed KV cache.
 *
 * <pre>{@code
 * ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder()
 *         .modelPath(Path.of("models/needle-lm"))
 *         .kvCompression(0.1)          // ChunkKV keeping 10% of the prompt's KV cache
 *         .maxOutputTokens(64)
 *         .build();
 * ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("...")).build());
 * ChunkKvChatResponseMetadata kv = (ChunkKvChatResponseMetadata) r.metadata();
 * }</pre>
 *
 * <p>Conversations are cached: when a request's prompt extends an earlier one (as a chat memory re-sends the whole
 * history), its compressed cache is continued and only the new tokens are prefilled. Requests run one at a time per
 * loaded model. Close the model to free its sessions (and the weights once no other model shares them).
 */
public class ChunkKvJlamaChatModel implements ChatModel, AutoCloseable {
    private final ChatModelCore core;

    private ChunkKvJlamaChatModel(Builder builder) {
        this.core = builder.buildCore();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest chatRequest) {
        GenerationRequest request = core.resolve(chatRequest);
        return core.engine().generate(request, text -> {}).toChatResponse(core.modelName());
    }

    @Override
    public ChunkKvChatRequestParameters defaultRequestParameters() {
        return core.defaults();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return core.listeners();
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER; // no enum value for in-process Jlama
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of();
    }

    /** Counts tokens with this model's tokenizer and chat template, e.g. for {@code TokenWindowChatMemory}. */
    public JlamaTokenCountEstimator tokenCountEstimator() {
        return new JlamaTokenCountEstimator(core.engine().jlamaModel());
    }

    /** Frees this model's claim on the shared Jlama model; the last user frees its sessions and weights. */
    @Override
    public void close() {
        core.close();
    }

    public static final class Builder extends ChunkKvJlamaModelBuilder<Builder> {
        private Builder() {}

        public ChunkKvJlamaChatModel build() {
            return new ChunkKvJlamaChatModel(this);
        }
    }
}
