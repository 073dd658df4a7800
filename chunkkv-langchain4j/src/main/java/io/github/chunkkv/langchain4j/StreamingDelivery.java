package io.github.chunkkv.langchain4j;

import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.onCompleteResponse;
import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.onCompleteToolCall;
import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.onPartialResponse;
import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.withLoggingExceptions;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs streaming generations on an executor and delivers their callbacks as LangChain4j 1.11 providers do: every
 * callback on the executor's thread, never the caller's; an exception thrown by the handler's
 * {@code onPartialResponse} goes to its {@code onError} and streaming goes on; one thrown by
 * {@code onCompleteResponse} goes to {@code onError}; one thrown by {@code onError} is logged and ignored. Each partial
 * response carries a {@link StreamingHandle}: after {@link StreamingHandle#cancel()} the generation stops before its
 * next token and the handler gets no further callback.
 */
final class StreamingDelivery implements AutoCloseable {
    private final Executor executor;
    private final ExecutorService owned;

    private StreamingDelivery(Executor executor, ExecutorService owned) {
        this.executor = executor;
        this.owned = owned;
    }

    /** Delivers on {@code executor}, which the caller keeps owning (it is not shut down by {@link #close()}). */
    static StreamingDelivery on(Executor executor) {
        return new StreamingDelivery(executor, null);
    }

    /** Delivers on a cached pool of daemon threads named {@code chunkkv-stream-N}, shut down by {@link #close()}. */
    static StreamingDelivery onOwnPool() {
        ExecutorService pool = Executors.newCachedThreadPool(Thread.ofPlatform().name("chunkkv-stream-", 1).daemon(true).factory());
        return new StreamingDelivery(pool, pool);
    }

    /**
     * Starts {@code generation} on the executor and returns at once. The generation gets a text callback to call with
     * each final piece of the reply and returns the complete response.
     */
    void start(Function<Consumer<String>, ChatResponse> generation, StreamingChatResponseHandler handler) {
        executor.execute(() -> deliver(generation, handler));
    }

    private static void deliver(Function<Consumer<String>, ChatResponse> generation, StreamingChatResponseHandler handler) {
        Handle handle = new Handle();
        ChatResponse response;
        try {
            response = generation.apply(text -> {
                if (handle.isCancelled()) throw new GenerationCancelled();
                onPartialResponse(handler, text, handle);
                if (handle.isCancelled()) throw new GenerationCancelled(); // cancelled in the callback: no further step
            });
        } catch (GenerationCancelled cancelled) {
            return;
        } catch (RuntimeException | Error e) {
            if (!handle.isCancelled()) withLoggingExceptions(() -> handler.onError(e));
            return;
        }
        if (handle.isCancelled()) return;
        // A reply is known to be a tool call only once complete: each call is reported whole, then the response.
        List<ToolExecutionRequest> toolCalls = response.aiMessage().toolExecutionRequests();
        for (int i = 0; i < toolCalls.size(); i++) onCompleteToolCall(handler, new CompleteToolCall(i, toolCalls.get(i)));
        onCompleteResponse(handler, response);
    }

    /** Shuts the executor down if this delivery created it; generations already running finish. */
    @Override
    public void close() {
        if (owned != null) owned.shutdown();
    }

    private static final class Handle implements StreamingHandle {
        private volatile boolean cancelled;

        @Override
        public void cancel() {
            cancelled = true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
    }
}
