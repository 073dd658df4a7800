package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.github.chunkkv.testing.BoundedWait;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Callbacks run with no lock of ours held, closing never waits under the JVM-wide registry lock, no cross-talk. */
class LockOrderTest {
    @TempDir
    Path dir;

    private static ChatRequest ask(String text) {
        return ChatRequest.builder().messages(UserMessage.from(text)).build();
    }

    @Test
    void aStreamingCallbackMayCloseItsModelAndBuildAnotherWhileAnotherThreadCloses() {
        // Before: close() took the registry lock, then waited for the engine monitor held by the streaming generation,
        // whose callback needed the registry lock to build a model: both threads stuck for good.
        Path folder = TinyChatModels.llama(dir), other = TinyChatModels.llamaWithoutTemplate(dir);
        ExecutorService closer = Executors.newSingleThreadExecutor();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        AtomicBoolean first = new AtomicBoolean(true);
        try {
            ChunkKvJlamaStreamingChatModel streaming = ChunkKvJlamaStreamingChatModel.builder().modelPath(folder).maxOutputTokens(50)
                    .temperature(0.0).build();
            streaming.chat(ask("tell me a long story"), new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String partial) {
                    if (!first.getAndSet(false)) return;
                    BoundedWait.get(closer.submit(streaming::close), 30, "closing the model from another thread");
                    ChunkKvJlamaChatModel.builder().modelPath(other).build().close();
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    ended.complete(null);
                }

                @Override
                public void onError(Throwable error) {
                    ended.complete(error);
                }
            });
            Throwable error = BoundedWait.get(ended, 60, "the streaming generation");
            assertInstanceOf(IllegalStateException.class, error, "the generation fails at its next step after the close");
            assertTrue(error.getMessage().contains("closed"), error.getMessage());
        } finally {
            closer.shutdownNow();
        }
    }

    @Test
    void eightThreadsOfChatsOnOneModelGetTheirSingleThreadedReplies() {
        Path folder = TinyChatModels.llama(dir);
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(8).temperature(0.0)
                .kvCompression("chunkkv:keep=0.5,window=4").build()) {
            List<String> prompts = IntStream.range(0, 16).mapToObj(i -> "question number " + i + " about topic " + (i * 7 % 5)).toList();
            List<String> alone = prompts.stream().map(p -> model.chat(ask(p)).aiMessage().text()).toList();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<String>> together = prompts.stream().map(p -> pool.submit(() -> model.chat(ask(p)).aiMessage().text())).toList();
                for (int i = 0; i < prompts.size(); i++) assertEquals(alone.get(i), BoundedWait.get(together.get(i), 120, "chat " + i), prompts.get(i));
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
