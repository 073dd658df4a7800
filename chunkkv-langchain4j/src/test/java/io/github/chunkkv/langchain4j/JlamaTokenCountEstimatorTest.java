package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.TokenWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JlamaTokenCountEstimatorTest {
    @TempDir
    static Path dir;

    static ChunkKvJlamaChatModel model;
    static JlamaTokenCountEstimator estimator;

    @BeforeAll
    static void load() {
        model = ChunkKvJlamaChatModel.builder().modelPath(TinyChatModels.llama(dir)).maxOutputTokens(2).build();
        estimator = model.tokenCountEstimator();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void countsTextWithTheModelsTokenizer() {
        assertEquals(5, estimator.estimateTokenCountInText("hello")); // one token per character
        assertEquals(0, estimator.estimateTokenCountInText(""));
    }

    @Test
    void aMessageIsItsRenderedLine() {
        assertEquals("user: hi\n".length(), estimator.estimateTokenCountInMessage(UserMessage.from("hi")));
        assertEquals("assistant: ok\n".length(), estimator.estimateTokenCountInMessage(AiMessage.from("ok")));
    }

    @Test
    void messagesCountExactlyWhatARequestReportsAsInputTokens() {
        List<ChatMessage> messages = List.of(SystemMessage.from("You answer briefly."), UserMessage.from("What is KV?"),
                AiMessage.from("A cache."), UserMessage.from("Why compress it?"));
        ChatResponse r = model.chat(ChatRequest.builder().messages(messages).build());
        assertEquals(r.tokenUsage().inputTokenCount(), estimator.estimateTokenCountInMessages(messages));
    }

    @Test
    void tokenWindowChatMemoryKeepsWithinItsBudget() {
        TokenWindowChatMemory memory = TokenWindowChatMemory.withMaxTokens(40, estimator);
        for (int i = 0; i < 6; i++) {
            memory.add(UserMessage.from("question number " + i));
            memory.add(AiMessage.from("answer " + i));
        }
        List<ChatMessage> kept = memory.messages();
        assertTrue(kept.size() < 12, "older messages were evicted: " + kept);
        assertEquals(AiMessage.from("answer 5"), kept.get(kept.size() - 1));
        // The template renders messages line by line, so the prompt of what is kept fits the budget.
        assertTrue(estimator.estimateTokenCountInMessages(kept) <= 40, kept.toString());
    }
}
