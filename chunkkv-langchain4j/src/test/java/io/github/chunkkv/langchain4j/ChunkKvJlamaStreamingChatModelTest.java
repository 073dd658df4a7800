package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkKvJlamaStreamingChatModelTest {
    @TempDir
    static Path dir;

    static Path folder;
    static ChunkKvJlamaChatModel blocking;
    static ChunkKvJlamaStreamingChatModel streaming;
    static final List<Object> listenerEvents = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void load() {
        folder = TinyChatModels.llama(dir);
        blocking = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(10).temperature(0.0).build();
        streaming = ChunkKvJlamaStreamingChatModel.builder().modelPath(folder).maxOutputTokens(10).temperature(0.0)
                .listeners(List.of(new ChatModelListener() {
                    @Override
                    public void onResponse(ChatModelResponseContext c) {
                        listenerEvents.add(c);
                    }

                    @Override
                    public void onError(ChatModelErrorContext c) {
                        listenerEvents.add(c);
                    }
                }))
                .build();
    }

    @AfterAll
    static void close() {
        streaming.close();
        blocking.close();
    }

    @Test
    void streamsTheSameTextAsTheBlockingModel() {
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from("tell me")).build();
        ChatResponse expected = blocking.chat(request);
        RecordingStreamingHandler r = new RecordingStreamingHandler();
        streaming.chat(request, r);
        ChatResponse streamed = r.awaitResponse();
        assertEquals(1, r.completions.size());
        assertTrue(r.errors.isEmpty(), "errors: " + r.errors);
        assertEquals(1, r.threads.stream().distinct().count());
        Thread worker = r.threads.get(0);
        assertNotEquals(Thread.currentThread(), worker);
        assertTrue(worker.isDaemon() && worker.getName().startsWith("chunkkv-stream-"), worker.getName());
        assertEquals(expected.aiMessage().text(), streamed.aiMessage().text());
        assertEquals(expected.aiMessage().text(), String.join("", r.partials));
        assertEquals(expected.tokenUsage(), streamed.tokenUsage());
        assertEquals(expected.finishReason(), streamed.finishReason());
        assertInstanceOf(ChunkKvChatResponseMetadata.class, streamed.metadata());
    }

    @Test
    void aStopSequenceIsNeverStreamed() {
        ChatRequest plain = ChatRequest.builder().messages(UserMessage.from("more")).build();
        String full = blocking.chat(plain).aiMessage().text();
        assertTrue(full.length() >= 4, "the tiny model's greedy reply is long enough to hold a stop sequence: " + full);
        String stop = full.substring(2, 4);
        RecordingStreamingHandler r = new RecordingStreamingHandler();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("more"))
                .parameters(ChunkKvChatRequestParameters.builder().stopSequences(stop).build()).build(), r);
        ChatResponse streamed = r.awaitResponse();
        String cut = full.substring(0, full.indexOf(stop));
        assertEquals(cut, String.join("", r.partials));
        assertEquals(cut, streamed.aiMessage().text());
        assertTrue(r.errors.isEmpty(), "errors: " + r.errors);
    }

    @Test
    void badRequestIsThrownFromChatBeforeStreamingStarts() {
        listenerEvents.clear();
        RecordingStreamingHandler r = new RecordingStreamingHandler();
        ChatRequest bad = ChatRequest.builder().messages(UserMessage.from("x"))
                .parameters(ChunkKvChatRequestParameters.builder().maxOutputTokens(0).build()).build();
        assertThrows(InvalidRequestException.class, () -> streaming.chat(bad, r));
        ChatRequest tools = ChatRequest.builder().messages(UserMessage.from("x"))
                .parameters(ChunkKvChatRequestParameters.builder().toolSpecifications(ToolSpecification.builder().name("t").build()).build()).build();
        var e = assertThrows(UnsupportedFeatureException.class, () -> streaming.chat(tools, r));
        assertTrue(e.getMessage().contains("tools") && e.getMessage().contains("not support"), e.getMessage());
        assertTrue(r.partials.isEmpty() && r.completions.isEmpty() && r.errors.isEmpty());
        assertTrue(listenerEvents.isEmpty(), "a refused request produced no response or error event: " + listenerEvents);
    }

    @Test
    void chatReturnsBeforeGeneratingAndAGivenExecutorRunsIt() {
        Queue<Runnable> queued = new ConcurrentLinkedQueue<>();
        try (ChunkKvJlamaStreamingChatModel queuing = ChunkKvJlamaStreamingChatModel.builder().modelPath(folder)
                .maxOutputTokens(10).executor(queued::add).build()) {
            RecordingStreamingHandler r = new RecordingStreamingHandler();
            queuing.chat(ChatRequest.builder().messages(UserMessage.from("tell me")).build(), r);
            assertTrue(r.partials.isEmpty() && r.completions.isEmpty() && r.errors.isEmpty(), "nothing happens before the executor runs the generation");
            assertEquals(1, queued.size());
            queued.poll().run();
            r.awaitResponse();
            assertTrue(r.errors.isEmpty(), "errors: " + r.errors);
        }
    }
}
