package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.langchain4j.spi.ChunkKvJlamaChatModelBuilderFactory;

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
public class ChunkKvJlamaChatModel extends ChunkKvJlamaModelBase implements ChatModel {
    private ChunkKvJlamaChatModel(Builder builder) {
        super(builder);
    }

    /** A new builder, from a {@link ChunkKvJlamaChatModelBuilderFactory} when one is registered. */
    public static Builder builder() {
        return ChunkKvJlamaModelBuilder.fromFactory(ChunkKvJlamaChatModelBuilderFactory.class, Builder::new);
    }

    @Override
    public ChatResponse doChat(ChatRequest chatRequest) {
        return answer(resolve(chatRequest), text -> {});
    }

    /** Options of the chat model; see {@link ChunkKvJlamaModelBuilder}. */
    public static final class Builder extends ChunkKvJlamaModelBuilder<Builder> {
        /** A builder with every option unset; {@link #builder()} is the usual way to get one. */
        public Builder() {}

        /**
         * Validates the options, then loads the model (or shares the one loaded for the same folder and options).
         *
         * @return the model; close it to free its sessions
         */
        public ChunkKvJlamaChatModel build() {
            return new ChunkKvJlamaChatModel(this);
        }
    }
}
