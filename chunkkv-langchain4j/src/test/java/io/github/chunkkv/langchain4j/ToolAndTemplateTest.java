package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.jlama.GenerationResult;
import io.github.chunkkv.jlama.GenerationResult.StopReason;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tools through a tool-capable chat template, and the plain fallback for models without a template. */
class ToolAndTemplateTest {
    @TempDir
    static Path dir;

    static final ToolSpecification WEATHER = ToolSpecification.builder().name("weather").description("current weather").build();

    @Test
    void toolSpecificationsAreRenderedIntoTheTemplate() {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(TinyChatModels.llamaWithTools(dir)).maxOutputTokens(3).build()) {
            ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                    .parameters(ChunkKvChatRequestParameters.builder().toolSpecifications(WEATHER).build()).build());
            assertEquals(1 + "tools: weather \nuser: hi\nassistant: ".length(), r.tokenUsage().inputTokenCount());

            // A tool round trip in the history renders and runs.
            ToolExecutionRequest call = ToolExecutionRequest.builder().id("000000000").name("weather").arguments("{}").build();
            ChatResponse next = model.chat(ChatRequest.builder()
                    .messages(UserMessage.from("hi"), AiMessage.from(call), ToolExecutionResultMessage.from(call, "sunny"))
                    .parameters(ChunkKvChatRequestParameters.builder().toolSpecifications(WEATHER).build()).build());
            assertTrue(next.tokenUsage().inputTokenCount() > r.tokenUsage().inputTokenCount());
        }
    }

    @Test
    void aToolCallReplyIsMappedToExecutionRequests() {
        // Random weights never call a tool, so feed Jlama's parser the reply a tool-calling model would give.
        JlamaEngine engine = new JlamaEngine(TinyModels.load(TinyChatModels.llamaWithTools(dir.resolve("engine"))), 1, null, null, null);
        try {
            PromptContext prompt = engine.renderer().render(List.of(UserMessage.from("weather in Oslo?")), List.of(WEATHER), true);
            String reply = "{\"name\": \"weather\", \"arguments\": {\"city\": \"Oslo\"}}";
            List<ToolExecutionRequest> calls = engine.toolCalls(prompt, finished(reply, 20));
            assertEquals(List.of(ToolExecutionRequest.builder().id("000000000").name("weather").arguments("{\"city\":\"Oslo\"}").build()), calls);
            assertEquals(List.of(), engine.toolCalls(prompt, finished("no tool here", 3)));

            // Parallel calls: one request per JSON object, numbered in reply order.
            String two = reply + " {\"name\": \"weather\", \"arguments\": {\"city\": \"Bergen\"}}";
            assertEquals(List.of(ToolExecutionRequest.builder().id("000000000").name("weather").arguments("{\"city\":\"Oslo\"}").build(),
                    ToolExecutionRequest.builder().id("000000001").name("weather").arguments("{\"city\":\"Bergen\"}").build()),
                    engine.toolCalls(prompt, finished(two, 40)));
        } finally {
            engine.close();
        }
    }

    /** A reply of {@code generated} tokens that the model ended with its end-of-sequence token (2). */
    private static GenerationResult finished(String reply, int generated) {
        return new GenerationResult(reply, reply, StopReason.END_OF_SEQUENCE, 10, generated, 2, null, 0, 0, 0);
    }

    @Test
    void modelsWithoutATemplateUseThePlainTranscript() {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(TinyChatModels.llamaWithoutTemplate(dir)).maxOutputTokens(3).build()) {
            ChatResponse r = model.chat(UserMessage.from("hi"));
            assertEquals(1 + "user: hi\nassistant:".length(), r.tokenUsage().inputTokenCount());
            assertEquals(r.tokenUsage().inputTokenCount(), model.tokenCountEstimator().estimateTokenCountInMessages(List.of(UserMessage.from("hi"))));
        }
    }
}
