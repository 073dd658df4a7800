package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.github.chunkkv.langchain4j.spi.ChunkKvJlamaStreamingChatModelBuilderFactory;
import java.util.concurrent.Executor;

/**
 * The streaming twin of {@link ChunkKvJlamaChatModel}: same options, same shared model and session cache (a model built
 * for the same folder with the same working type and {@code maxSessions} is loaded once).
 *
 * <p>{@code chat} validates the request on the caller's thread and throws what the model cannot serve (an unsupported
 * feature, a bad parameter), then returns at once: the reply is generated on the builder's {@code executor} (default:
 * a pool of daemon threads owned by this model); generations of one loaded model interleave token by token, and the
 * handler is called with no lock held. The handler receives the
 * reply through {@code onPartialResponse} as it is generated (text that might still turn into a stop sequence is held
 * back until it cannot), then {@code onCompleteResponse}, or {@code onError} if generation fails. An exception thrown
 * by the handler's {@code onPartialResponse} is passed to its {@code onError} and streaming goes on; one thrown by
 * {@code onCompleteResponse} is passed to {@code onError}. Cancel with the {@code StreamingHandle} of
 * {@code onPartialResponse(PartialResponse, PartialResponseContext)}: generation stops before the next token, no
 * further callback comes, and the conversation's cache stays reusable. When tools are offered, a reply is only known
 * to be a tool call once it is complete: its text is streamed as partial responses, and the complete response carries
 * the parsed tool execution requests.
 */
public class ChunkKvJlamaStreamingChatModel extends ChunkKvJlamaModelBase implements StreamingChatModel {
    private final StreamingDelivery delivery;

    private ChunkKvJlamaStreamingChatModel(Builder builder) {
        super(builder);
        this.delivery = builder.executor == null ? StreamingDelivery.onOwnPool() : StreamingDelivery.on(builder.executor);
    }

    /** A new builder, from a {@link ChunkKvJlamaStreamingChatModelBuilderFactory} when one is registered. */
    public static Builder builder() {
        return ChunkKvJlamaModelBuilder.fromFactory(ChunkKvJlamaStreamingChatModelBuilderFactory.class, Builder::new);
    }

    @Override
    public void doChat(ChatRequest chatRequest, StreamingChatResponseHandler handler) {
        GenerationRequest request = resolve(chatRequest); // thrown here, on the caller's thread, when it cannot be served
        delivery.start(onText -> answer(request, onText), handler);
    }

    /** Stops the default executor (a given one stays the caller's) and frees this model's claim on the shared model. */
    @Override
    public void close() {
        delivery.close();
        super.close();
    }

    /** Options of the streaming chat model; see {@link ChunkKvJlamaModelBuilder}. */
    public static final class Builder extends ChunkKvJlamaModelBuilder<Builder> {
        private Executor executor;

        /** A builder with every option unset; {@link #builder()} is the usual way to get one. */
        public Builder() {}

        /**
         * Where replies are generated and the handler is called; default: a cached pool of daemon threads named
         * {@code chunkkv-stream-N}, shut down when the model is closed. A given executor is not shut down by the model.
         */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

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
