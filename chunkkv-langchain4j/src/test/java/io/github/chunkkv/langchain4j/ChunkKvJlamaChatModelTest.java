package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import io.github.chunkkv.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkKvJlamaChatModelTest {
    @TempDir
    static Path dir;

    static Path folder;
    static ChunkKvJlamaChatModel model;
    static final RecordingListener events = new RecordingListener();

    @BeforeAll
    static void load() {
        folder = TinyChatModels.llama(dir);
        model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(6).listeners(List.of(events)).build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static ChatRequest ask(String text, ChatRequestParameters parameters) {
        return ChatRequest.builder().messages(UserMessage.from(text)).parameters(parameters).build();
    }

    private static ChatRequestParameters params() {
        return ChunkKvChatRequestParameters.builder().build();
    }

    @Test
    void roundTripFillsMessageMetadataAndUsage() {
        ChatResponse r = model.chat(ChatRequest.builder().messages(SystemMessage.from("be brief"), UserMessage.from("hello there")).build());
        assertTrue(r.aiMessage().text() != null);
        assertFalse(r.aiMessage().hasToolExecutionRequests());
        assertEquals("tiny-llama", r.metadata().modelName());
        ChunkKvChatResponseMetadata kv = assertInstanceOf(ChunkKvChatResponseMetadata.class, r.metadata());
        // "system: be brief\nuser: hello there\nassistant: " is one token per character, plus BOS.
        int expectedPrompt = 1 + "system: be brief\nuser: hello there\nassistant: ".length();
        assertEquals(expectedPrompt, r.tokenUsage().inputTokenCount());
        assertEquals(expectedPrompt, kv.promptTokens());
        assertTrue(r.tokenUsage().outputTokenCount() <= 6);
        assertTrue(kv.policy().startsWith("full"), kv.policy());
        assertEquals(expectedPrompt, kv.keptTokens(), 1e-9, "a full cache keeps every prompt row");
        assertEquals(kv.kvBytesBefore(), kv.kvBytesAfter());
        // Allocated at the end of the reply: the kept rows, the reply's rows, at most decoding's slack on top.
        double rowBytes = kv.kvBytesAfter() / kv.keptTokens(); // every layer keeps every row here
        double used = kv.kvBytesAfter() + r.tokenUsage().outputTokenCount() * rowBytes;
        assertTrue(kv.kvBytesAllocated() >= kv.kvBytesAfter() && kv.kvBytesAllocated() <= 1.125 * used + 16 * rowBytes, kv.toString());
        assertTrue(kv.prefillMillis() > 0);
        // Built with Jlama's defaults (F32 working memory, I8 working quantized): Jlama runs F32 weights unquantized.
        assertEquals("F32", kv.workingMemoryType());
        assertEquals("F32", kv.workingQuantizedType());
    }

    @Test
    void maxOutputTokensPerRequestEndsWithLength() {
        ChatResponse r = model.chat(ask("count", ChunkKvChatRequestParameters.builder().maxOutputTokens(3).build()));
        assertTrue(r.tokenUsage().outputTokenCount() <= 3);
        if (r.finishReason() == FinishReason.LENGTH) assertEquals(3, r.tokenUsage().outputTokenCount());
        else assertEquals(FinishReason.STOP, r.finishReason()); // end-of-sequence came first
    }

    @Test
    void outputTokensMatchTheTokenizerCountOfTheReply() {
        ChatResponse r = model.chat(ask("abc", ChunkKvChatRequestParameters.builder().maxOutputTokens(12).build()));
        JlamaTokenCountEstimator estimator = model.tokenCountEstimator();
        assertEquals(estimator.estimateTokenCountInText(r.aiMessage().text()), r.tokenUsage().outputTokenCount());
        assertEquals(estimator.estimateTokenCountInMessages(List.of(UserMessage.from("abc"))), r.tokenUsage().inputTokenCount());
        assertEquals(r.tokenUsage().inputTokenCount() + r.tokenUsage().outputTokenCount(), r.tokenUsage().totalTokenCount());
    }

    @Test
    void stopSequenceCutsTheReplyAndFinishesWithStop() {
        // Greedy generation is deterministic: find the reply, then stop at its second character.
        ChatRequest plain = ask("stop test", ChunkKvChatRequestParameters.builder().maxOutputTokens(12).temperature(0.0).build());
        String full = model.chat(plain).aiMessage().text();
        assertTrue(full.length() >= 3, "the tiny model's greedy reply is long enough to hold a stop sequence: " + full);
        String stop = full.substring(1, 3);
        ChatResponse r = model.chat(ask("stop test", ChunkKvChatRequestParameters.builder().maxOutputTokens(12).temperature(0.0)
                .stopSequences(stop).build()));
        assertEquals(full.substring(0, full.indexOf(stop)), r.aiMessage().text());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void compressionCanBeChosenPerRequest() {
        ChatResponse r = model.chat(ask("a prompt long enough to be compressed by a small window",
                ChunkKvChatRequestParameters.builder().kvCompression("chunkkv:keep=0.5,chunk=4,window=8").build()));
        ChunkKvChatResponseMetadata kv = (ChunkKvChatResponseMetadata) r.metadata();
        assertTrue(kv.policy().startsWith("chunkkv:keep=0.5,chunk=4,window=8"), kv.policy());
        assertTrue(kv.kvBytesAfter() < kv.kvBytesBefore(), kv.toString());
        assertTrue(kv.keptTokens() < kv.promptTokens(), kv.toString());
    }

    @Test
    void listenersSeeRequestResponseAndError() {
        events.clear();
        model.chat("hi");
        assertInstanceOf(ChatModelRequestContext.class, events.get(0));
        ChatModelResponseContext response = assertInstanceOf(ChatModelResponseContext.class, events.get(1));
        assertInstanceOf(ChunkKvChatResponseMetadata.class, response.chatResponse().metadata());
        assertEquals(6, response.chatRequest().parameters().maxOutputTokens(), "listeners see the merged defaults");

        events.clear();
        assertThrows(InvalidRequestException.class, () -> model.chat(ask("hi", ChunkKvChatRequestParameters.builder().temperature(-1.0).build())));
        assertInstanceOf(ChatModelRequestContext.class, events.get(0));
        assertInstanceOf(InvalidRequestException.class, assertInstanceOf(ChatModelErrorContext.class, events.get(1)).error());
    }

    @Test
    void badParametersAreRejectedAndTheModelKeepsWorking() {
        var e = assertThrows(InvalidRequestException.class,
                () -> model.chat(ask("hi", ChunkKvChatRequestParameters.builder().temperature(-0.5).build())));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
        e = assertThrows(InvalidRequestException.class, () -> model.chat(ask("hi", ChunkKvChatRequestParameters.builder().maxOutputTokens(0).build())));
        assertTrue(e.getMessage().contains("maxOutputTokens"), e.getMessage());
        assertThrows(UnsupportedFeatureException.class, () -> model.chat(ask("hi", ChunkKvChatRequestParameters.builder().frequencyPenalty(0.5).build())));
        e = assertThrows(InvalidRequestException.class, () -> model.chat(ask("hi", ChunkKvChatRequestParameters.builder().topK(0).build())));
        assertTrue(e.getMessage().contains("topK"), e.getMessage());
        var unsupported = assertThrows(UnsupportedFeatureException.class,
                () -> model.chat(ask("hi", ChunkKvChatRequestParameters.builder().modelName("other").build())));
        assertTrue(unsupported.getMessage().contains("modelName") && unsupported.getMessage().contains("not support"), unsupported.getMessage());
        var atBuild = assertThrows(UnsupportedFeatureException.class, () -> ChunkKvJlamaChatModel.builder().modelPath(folder)
                .defaultRequestParameters(ChatRequestParameters.builder().modelName("other").build()).build());
        assertTrue(atBuild.getMessage().contains("modelName"), atBuild.getMessage());
        var spec = assertThrows(IllegalArgumentException.class, () -> ChunkKvChatRequestParameters.builder().kvCompression("chunkkv:keep=2"));
        assertTrue(spec.getMessage().contains("kvCompression") && spec.getMessage().contains("keep"), spec.getMessage());

        assertTrue(model.chat(ask("hi", params())).tokenUsage().inputTokenCount() > 0);
    }

    @Test
    void tooLongPromptNamesTheLimitAndTheModelKeepsWorking() {
        String longText = "a".repeat(1100);
        var e = assertThrows(InvalidRequestException.class, () -> model.chat(longText));
        assertTrue(e.getMessage().contains("1018"), e.getMessage()); // context 1024 minus Jlama's RoPE reach 2*(4-1)
        ChatResponse after = model.chat(ask("still alive", ChunkKvChatRequestParameters.builder().maxOutputTokens(1).build()));
        assertTrue(after.tokenUsage().outputTokenCount() <= 1);
    }

    @Test
    void toolsOnAModelWithoutToolSupportAreRefused() {
        var spec = ToolSpecification.builder().name("weather").description("weather now").build();
        var e = assertThrows(UnsupportedFeatureException.class,
                () -> model.chat(ask("hi", ChunkKvChatRequestParameters.builder().toolSpecifications(spec).build())));
        assertTrue(e.getMessage().contains("tool"), e.getMessage());
    }

    @Test
    void builderRejectsBadOptionsBeforeLoading() {
        var notFound = assertThrows(ModelNotFoundException.class,
                () -> ChunkKvJlamaChatModel.builder().modelPath(dir.resolve("no-such-model")).build());
        assertTrue(notFound.getMessage().contains("no-such-model"), notFound.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ChunkKvJlamaChatModel.builder().build());
        assertThrows(IllegalArgumentException.class, () -> ChunkKvJlamaChatModel.builder().modelPath(folder).kvCompression("nosuchpolicy:keep=0.1"));
        assertThrows(IllegalArgumentException.class, () -> ChunkKvJlamaChatModel.builder().modelPath(folder).kvCompression(0.0));
        var t = assertThrows(IllegalArgumentException.class, () -> ChunkKvJlamaChatModel.builder().modelPath(folder).temperature(-1.0).build());
        assertTrue(t.getMessage().contains("temperature"), t.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(0).build());
        assertThrows(IllegalArgumentException.class, () -> ChunkKvJlamaChatModel.builder().modelPath(folder).maxSessions(0).build());
        var memory = assertThrows(IllegalArgumentException.class,
                () -> ChunkKvJlamaChatModel.builder().modelPath(folder).workingMemoryType(com.github.tjake.jlama.safetensors.DType.Q4).build());
        assertTrue(memory.getMessage().contains("workingMemoryType must be one of [BF16, F32], got Q4"), memory.getMessage());
        var threads = assertThrows(IllegalArgumentException.class, () -> ChunkKvJlamaChatModel.builder().modelPath(folder).threadCount(0).build());
        assertTrue(threads.getMessage().contains("threadCount"), threads.getMessage());
    }

    @Test
    void aModelNameIsFoundInTheCacheWithoutDownloading() throws IOException {
        // Jlama's downloader keeps owner/name in <cache>/owner_name and skips the download once ".finished" exists.
        Path cache = dir.resolve("cache");
        Path downloaded = TinyModels.write(TinyModels.llama(), cache.resolve("tiny_llama-cached-model"));
        Files.createFile(downloaded.resolve(".finished"));
        try (ChunkKvJlamaChatModel cached = ChunkKvJlamaChatModel.builder().modelName("tiny/llama-cached-model")
                .modelCachePath(cache).maxOutputTokens(2).build()) {
            ChatResponse r = cached.chat(ask("hi", params()));
            assertEquals("tiny/llama-cached-model", r.metadata().modelName());
        }
    }

    @Test
    void closingATwinModelLeavesTheSharedModelWorking() {
        ChunkKvJlamaStreamingChatModel twin = ChunkKvJlamaStreamingChatModel.builder().modelPath(folder).build();
        twin.close();
        twin.close(); // idempotent
        assertTrue(model.chat(ask("after the twin closed", params())).tokenUsage().inputTokenCount() > 0);
    }
}
