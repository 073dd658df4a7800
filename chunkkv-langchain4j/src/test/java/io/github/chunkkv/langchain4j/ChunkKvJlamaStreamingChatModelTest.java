package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkKvJlamaStreamingChatModelTest {
    @TempDir
    static Path dir;

    static ChunkKvJlamaChatModel blocking;
    static ChunkKvJlamaStreamingChatModel streaming;
    static final List<Object> listenerEvents = new ArrayList<>();

    @BeforeAll
    static void load() {
        Path folder = TinyChatModels.llama(dir);
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

    /** Records every callback, in order. */
    static final class Recorder implements StreamingChatResponseHandler {
        final List<String> partials = new ArrayList<>();
        final List<Object> terminal = new ArrayList<>();

        @Override
        public void onPartialResponse(String partialResponse) {
            partials.add(partialResponse);
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            terminal.add(completeResponse);
        }

        @Override
        public void onError(Throwable error) {
            terminal.add(error);
        }
    }

    @Test
    void streamsTheSameTextAsTheBlockingModel() {
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from("tell me")).build();
        ChatResponse expected = blocking.chat(request);
        Recorder r = new Recorder();
        streaming.chat(request, r);
        assertEquals(1, r.terminal.size());
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
        String cut = full.substring(0, full.indexOf(stop));
        assertEquals(cut, String.join("", r.partials));
        assertEquals(cut, ((ChatResponse) r.terminal.get(0)).aiMessage().text());
    }

    @Test
    void badRequestGoesToOnErrorOnlyAndNothingIsThrown() {
        listenerEvents.clear();
        Recorder r = new Recorder();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("x"))
                .parameters(ChunkKvChatRequestParameters.builder().maxOutputTokens(0).build()).build(), r);
        assertEquals(1, r.terminal.size());
        assertInstanceOf(InvalidRequestException.class, r.terminal.get(0));
        assertTrue(r.partials.isEmpty());
        assertInstanceOf(ChatModelErrorContext.class, listenerEvents.get(0));
    }

    @Test
    void aThrowingPartialHandlerEndsInOneOnError() {
        List<Object> terminal = new ArrayList<>();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("boom")).build(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                throw new IllegalStateException("handler failed");
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                terminal.add(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                terminal.add(error);
            }
        });
        assertEquals(1, terminal.size());
        assertEquals("handler failed", assertInstanceOf(IllegalStateException.class, terminal.get(0)).getMessage());
        // The model keeps working afterwards.
        Recorder r = new Recorder();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("again")).build(), r);
        assertInstanceOf(ChatResponse.class, r.terminal.get(0));
    }
}
