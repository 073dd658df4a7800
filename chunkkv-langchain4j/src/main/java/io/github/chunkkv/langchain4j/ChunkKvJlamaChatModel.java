package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

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

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest chatRequest) {
        return answer(resolve(chatRequest), text -> {});
    }

    public static final class Builder extends ChunkKvJlamaModelBuilder<Builder> {
        private Builder() {}

        public ChunkKvJlamaChatModel build() {
            return new ChunkKvJlamaChatModel(this);
        }
    }
}
