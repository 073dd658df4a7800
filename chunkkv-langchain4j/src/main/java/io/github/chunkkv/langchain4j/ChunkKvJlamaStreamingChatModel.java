package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.langchain4j.spi.ChunkKvJlamaStreamingChatModelBuilderFactory;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming twin of {@link ChunkKvJlamaChatModel}: same options, same shared model and session cache (a model built
 * for the same folder with the same working type and {@code maxSessions} is loaded once).
 *
 * <p>Generation runs on the calling thread: {@code chat} returns after the handler got its last callback. The handler
 * receives the reply through {@code onPartialResponse} as it is generated (text that might still turn into a stop
 * sequence is held back until it cannot), then exactly one of {@code onCompleteResponse} or {@code onError}; no
 * exception leaves {@code chat}. If {@code onPartialResponse} throws, generation stops and that error goes to
 * {@code onError}. When tools are offered, a reply is only known to be a tool call once it is complete: its text is
 * streamed as partial responses, and the complete response carries the parsed tool execution requests.
 */
public class ChunkKvJlamaStreamingChatModel extends ChunkKvJlamaModelBase implements StreamingChatModel {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkKvJlamaStreamingChatModel.class);

    private ChunkKvJlamaStreamingChatModel(Builder builder) {
        super(builder);
    }

    /** A new builder, from a {@link ChunkKvJlamaStreamingChatModelBuilderFactory} when one is registered. */
    public static Builder builder() {
        return ChunkKvJlamaModelBuilder.fromFactory(ChunkKvJlamaStreamingChatModelBuilderFactory.class, Builder::new);
    }

    @Override
    public void doChat(ChatRequest chatRequest, StreamingChatResponseHandler handler) {
        ChatResponse response;
        try {
            response = answer(chatRequest, handler::onPartialResponse);
        } catch (RuntimeException | Error e) {
            notifyError(handler, e);
            return;
        }
        try {
            handler.onCompleteResponse(response);
        } catch (RuntimeException e) {
            // The contract allows one terminal callback; the handler's own failure is not turned into a second one.
            LOG.warn("onCompleteResponse of the streaming handler threw", e);
        }
    }

    private static void notifyError(StreamingChatResponseHandler handler, Throwable error) {
        try {
            handler.onError(error);
        } catch (RuntimeException e) {
            LOG.warn("onError of the streaming handler threw while handling {}", error.toString(), e);
        }
    }

    /** Options of the streaming chat model; see {@link ChunkKvJlamaModelBuilder}. */
    public static final class Builder extends ChunkKvJlamaModelBuilder<Builder> {
        /** A builder with every option unset; {@link #builder()} is the usual way to get one. */
        public Builder() {}

        /**
         * Validates the options, then loads the model (or shares the one loaded for the same folder and options).
         *
         * @return the model; close it to free its sessions
         */
        public ChunkKvJlamaStreamingChatModel build() {
            return new ChunkKvJlamaStreamingChatModel(this);
        }
    }
}
