package io.github.chunkkv.langchain4j.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.output.FinishReason;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.langchain4j.ChunkKvJlamaStreamingChatModel;
import io.github.chunkkv.langchain4j.RecordingListener;
import io.github.chunkkv.langchain4j.RecordingStreamingHandler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the conformance tests in {@link NeedsGeneralLlm} check besides the answer, on a question needle-lm answers:
 * response metadata, stop sequences, the handler's threads, exceptions thrown by the handler, and cancellation.
 */
class NeedleLmContractTest {
    private static final String ANSWER = "417 802 339";
    private static final ChatRequest QUESTION = ChatRequest.builder()
            .messages(UserMessage.from("The special magic number for badiz is: " + ANSWER
                    + ".\nQuestion: What is the special magic number for badiz?"))
            .build();
    private static final RuntimeException USER_ERROR = new RuntimeException("thrown by user code");

    @ParameterizedTest
    @ValueSource(strings = {ConformanceModels.FULL, ConformanceModels.CHUNKKV})
    void answersWithCompleteMetadata(String compression) throws Exception {
        try (ConformanceModels models = new ConformanceModels(compression)) {
            ChunkKvJlamaChatModel blocking = models.chatModel(ChatRequestParameters.builder().build());
            ChatResponse response = blocking.chat(QUESTION);
            assertEquals(ANSWER, response.aiMessage().text().strip());
            ChunkKvChatResponseMetadata metadata = assertInstanceOf(ChunkKvChatResponseMetadata.class, response.metadata());
            assertEquals("needle-lm", metadata.modelName());
            assertTrue(!metadata.id().isBlank());
            assertEquals(FinishReason.STOP, metadata.finishReason());
            assertEquals(metadata.tokenUsage().inputTokenCount() + metadata.tokenUsage().outputTokenCount(),
                    metadata.tokenUsage().totalTokenCount());
            assertEquals(3, metadata.tokenUsage().outputTokenCount());

            RecordingStreamingHandler streamed = new RecordingStreamingHandler();
            models.streamingModel(ChatRequestParameters.builder().build()).chat(QUESTION, streamed);
            ChatResponse complete = streamed.awaitResponse();
            assertEquals(response.aiMessage(), complete.aiMessage());
            assertEquals(complete.aiMessage().text(), String.join("", streamed.partials));
            assertTrue(streamed.partials.size() > 1);
            assertEquals(1, streamed.threads.stream().distinct().count());
            assertNotEquals(Thread.currentThread(), streamed.threads.get(0));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {ConformanceModels.FULL, ConformanceModels.CHUNKKV})
    void stopSequencesCutTheAnswerInRequestsAndDefaults(String compression) throws Exception {
        try (ConformanceModels models = new ConformanceModels(compression)) {
            ChatRequestParameters stop = ChatRequestParameters.builder().stopSequences(List.of(" 802")).build();
            ChatResponse perRequest = models.chatModel(ChatRequestParameters.builder().build())
                    .chat(ChatRequest.builder().messages(QUESTION.messages()).parameters(stop).build());
            assertEquals("417", perRequest.aiMessage().text().strip());
            assertEquals(FinishReason.STOP, perRequest.finishReason());

            RecordingStreamingHandler streamed = new RecordingStreamingHandler();
            models.streamingModel(stop).chat(QUESTION, streamed);
            assertEquals(perRequest.aiMessage().text(), streamed.awaitResponse().aiMessage().text());
            assertEquals(perRequest.aiMessage().text(), String.join("", streamed.partials));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {ConformanceModels.FULL, ConformanceModels.CHUNKKV})
    void anExceptionFromOnPartialResponseGoesToOnErrorAndStreamingGoesOn(String compression) throws Exception {
        try (ConformanceModels models = new ConformanceModels(compression)) {
            RecordingListener events = new RecordingListener();
            RecordingStreamingHandler handler = new RecordingStreamingHandler() {
                @Override
                public void onPartialResponse(String partialResponse) {
                    super.onPartialResponse(partialResponse);
                    throw USER_ERROR;
                }
            };
            models.streamingModel(b -> b.listeners(List.of(events))).chat(QUESTION, handler);
            assertEquals(ANSWER, handler.awaitResponse().aiMessage().text().strip());
            assertTrue(handler.partials.size() > 1);
            assertEquals(handler.partials.size(), handler.errors.size());
            handler.errors.forEach(e -> assertSame(USER_ERROR, e));
            assertEquals(1, events.count(ChatModelRequestContext.class));
            assertEquals(handler.partials.size(), events.count(ChatModelErrorContext.class));
            assertEquals(1, events.count(ChatModelResponseContext.class));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {ConformanceModels.FULL, ConformanceModels.CHUNKKV})
    void anExceptionFromOnCompleteResponseGoesToOnErrorAndOneFromOnErrorIsIgnored(String compression) throws Exception {
        try (ConformanceModels models = new ConformanceModels(compression)) {
            RecordingListener events = new RecordingListener();
            CompletableFuture<Throwable> error = new CompletableFuture<>();
            RecordingStreamingHandler handler = new RecordingStreamingHandler() {
                @Override
                public void onCompleteResponse(ChatResponse completeResponse) {
                    super.onCompleteResponse(completeResponse);
                    throw USER_ERROR;
                }

                @Override
                public void onError(Throwable e) {
                    error.complete(e);
                    throw new IllegalStateException("thrown by onError: logged and ignored");
                }
            };
            ChunkKvJlamaStreamingChatModel model = models.streamingModel(b -> b.listeners(List.of(events)));
            model.chat(QUESTION, handler);
            assertEquals(ANSWER, handler.awaitResponse().aiMessage().text().strip());
            assertSame(USER_ERROR, error.get(60, TimeUnit.SECONDS));
            assertEquals(1, events.count(ChatModelResponseContext.class));
            assertEquals(1, events.count(ChatModelErrorContext.class));

            RecordingStreamingHandler again = new RecordingStreamingHandler();
            model.chat(QUESTION, again);
            assertEquals(ANSWER, again.awaitResponse().aiMessage().text().strip());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {ConformanceModels.FULL, ConformanceModels.CHUNKKV})
    void cancellingStopsBeforeTheNextTokenAndTheCacheStaysReusable(String compression) throws Exception {
        ExecutorService oneThread = Executors.newSingleThreadExecutor();
        try (ConformanceModels models = new ConformanceModels(compression)) {
            // One thread: the next turn starts after the cancelled generation gave its session back to the cache
            // (generations of one model otherwise interleave, and a lent session is not reused meanwhile).
            ChunkKvJlamaStreamingChatModel model = models.streamingModel(b -> b.executor(oneThread));
            CompletableFuture<Void> cancelled = new CompletableFuture<>();
            RecordingStreamingHandler handler = new RecordingStreamingHandler() {
                @Override
                public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                    super.onPartialResponse(partial.text());
                    context.streamingHandle().cancel();
                    cancelled.complete(null);
                }
            };
            model.chat(QUESTION, handler);
            cancelled.get(60, TimeUnit.SECONDS);

            // The conversation goes on.
            ChatRequest nextTurn = ChatRequest.builder().messages(QUESTION.messages().get(0), AiMessage.from(ANSWER),
                    UserMessage.from("Question: What is the special magic number for badiz?")).build();
            RecordingStreamingHandler next = new RecordingStreamingHandler();
            model.chat(nextTurn, next);
            ChatResponse response = next.awaitResponse();
            assertEquals(ANSWER, response.aiMessage().text().strip());
            assertTrue(((ChunkKvChatResponseMetadata) response.metadata()).reusedTokens() > 0, "the cancelled conversation's cache is reused");
            assertEquals(List.of(" 417"), handler.partials.stream().map(p -> " " + p.strip()).toList());
            assertTrue(!handler.isComplete() && handler.errors.isEmpty(), "no callback after cancel()");
        } finally {
            oneThread.shutdownNow();
        }
    }
}
