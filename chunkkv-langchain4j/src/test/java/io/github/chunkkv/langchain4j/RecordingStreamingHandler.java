package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Records every streaming callback and the thread it ran on. An error is recorded, not treated as the end: a
 * handler's own failure in {@code onPartialResponse} comes back through {@code onError} while the stream goes on.
 * Not final, so a test can override a callback (to throw, or to cancel) and still record.
 */
public class RecordingStreamingHandler implements StreamingChatResponseHandler {
    /** Partial responses in arrival order. */
    public final List<String> partials = new CopyOnWriteArrayList<>();
    /** Errors in arrival order. */
    public final List<Throwable> errors = new CopyOnWriteArrayList<>();
    /** Complete responses in arrival order (a well-behaved stream delivers at most one). */
    public final List<ChatResponse> completions = new CopyOnWriteArrayList<>();
    /** The thread of every callback, in arrival order. */
    public final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final CompletableFuture<ChatResponse> response = new CompletableFuture<>();

    @Override
    public void onPartialResponse(String partialResponse) {
        threads.add(Thread.currentThread());
        partials.add(partialResponse);
    }

    @Override
    public void onCompleteResponse(ChatResponse completeResponse) {
        threads.add(Thread.currentThread());
        completions.add(completeResponse);
        response.complete(completeResponse);
    }

    @Override
    public void onError(Throwable error) {
        threads.add(Thread.currentThread());
        errors.add(error);
    }

    /** Whether the complete response has arrived. */
    public boolean isComplete() {
        return response.isDone();
    }

    /** Waits up to 60 s for the complete response and returns it. */
    public ChatResponse awaitResponse() {
        try {
            return response.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no complete response within 60 s; errors: " + errors, e);
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }
}
