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
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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

    /** Records every callback, in order, and the threads they ran on; {@link #await} waits for the terminal one. */
    static final class Recorder implements StreamingChatResponseHandler {
        final List<String> partials = new CopyOnWriteArrayList<>();
        final List<Object> terminal = new CopyOnWriteArrayList<>();
        final Set<Thread> threads = new CopyOnWriteArraySet<>();
        private final CountDownLatch done = new CountDownLatch(1);

        @Override
        public void onPartialResponse(String partialResponse) {
            threads.add(Thread.currentThread());
            partials.add(partialResponse);
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            threads.add(Thread.currentThread());
            terminal.add(completeResponse);
            done.countDown();
        }

        @Override
        public void onError(Throwable error) {
            threads.add(Thread.currentThread());
            terminal.add(error);
            done.countDown();
        }

        Recorder await() {
            try {
                assertTrue(done.await(60, TimeUnit.SECONDS), "no terminal callback");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return this;
        }
    }

    @Test
    void streamsTheSameTextAsTheBlockingModel() {
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from("tell me")).build();
        ChatResponse expected = blocking.chat(request);
        Recorder r = new Recorder();
        streaming.chat(request, r);
        r.await();
        assertEquals(1, r.terminal.size());
        assertEquals(1, r.threads.size());
        Thread worker = r.threads.iterator().next();
        assertNotEquals(Thread.currentThread(), worker);
        assertTrue(worker.isDaemon() && worker.getName().startsWith("chunkkv-stream-"), worker.getName());
        ChatResponse streamed = assertInstanceOf(ChatResponse.class, r.terminal.get(0));
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
        Recorder r = new Recorder();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("more"))
                .parameters(ChunkKvChatRequestParameters.builder().stopSequences(stop).build()).build(), r);
        r.await();
        String cut = full.substring(0, full.indexOf(stop));
        assertEquals(cut, String.join("", r.partials));
        assertEquals(cut, ((ChatResponse) r.terminal.get(0)).aiMessage().text());
    }

    @Test
    void badRequestIsThrownFromChatBeforeStreamingStarts() {
        listenerEvents.clear();
        Recorder r = new Recorder();
        ChatRequest bad = ChatRequest.builder().messages(UserMessage.from("x"))
                .parameters(ChunkKvChatRequestParameters.builder().maxOutputTokens(0).build()).build();
        assertThrows(InvalidRequestException.class, () -> streaming.chat(bad, r));
        ChatRequest tools = ChatRequest.builder().messages(UserMessage.from("x"))
                .parameters(ChunkKvChatRequestParameters.builder().toolSpecifications(ToolSpecification.builder().name("t").build()).build()).build();
        var e = assertThrows(UnsupportedFeatureException.class, () -> streaming.chat(tools, r));
        assertTrue(e.getMessage().contains("tools") && e.getMessage().contains("not support"), e.getMessage());
        assertTrue(r.partials.isEmpty() && r.terminal.isEmpty());
        assertTrue(listenerEvents.isEmpty(), "a refused request produced no response or error event: " + listenerEvents);
    }

    @Test
    void chatReturnsBeforeGeneratingAndAGivenExecutorRunsIt() {
        Queue<Runnable> queued = new ConcurrentLinkedQueue<>();
        try (ChunkKvJlamaStreamingChatModel queuing = ChunkKvJlamaStreamingChatModel.builder().modelPath(folder)
                .maxOutputTokens(10).executor(queued::add).build()) {
            Recorder r = new Recorder();
            queuing.chat(ChatRequest.builder().messages(UserMessage.from("tell me")).build(), r);
            assertTrue(r.partials.isEmpty() && r.terminal.isEmpty(), "nothing happens before the executor runs the generation");
            assertEquals(1, queued.size());
            queued.poll().run();
            assertInstanceOf(ChatResponse.class, r.await().terminal.get(0));
        }
    }
}
