package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.event.EventRecordingLogger;
import org.slf4j.event.SubstituteLoggingEvent;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.SubstituteLogger;

/** The builder options LangChain4j users know from other providers, each doing what its name says. */
class BuilderConventionsTest {
    @TempDir
    static Path dir;

    static Path folder;

    @BeforeAll
    static void write() {
        folder = TinyChatModels.llama(dir);
    }

    private static ChatResponse ask(ChunkKvJlamaChatModel model, String text) {
        return model.chat(ChatRequest.builder().messages(UserMessage.from(text)).build());
    }

    private static ChatResponse ask(ChunkKvJlamaChatModel model, String text, ChunkKvChatRequestParameters parameters) {
        return model.chat(ChatRequest.builder().messages(UserMessage.from(text)).parameters(parameters).build());
    }

    @Test
    void everyOptionTakesNullForItsDefault() {
        ChunkKvJlamaChatModel.Builder nulls = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(5)
                .temperature(null).topP(null).topK(null).seed(null).repetitionPenalty(null).threadCount(null).maxSessions(null)
                .workingQuantizedType(null).quantizeModelAtRuntime(null).timeout(null).logRequests(null).logResponses(null)
                .logger(null).supportedCapabilities((Set<Capability>) null).kvCompression((String) null).stopSequences(null)
                .listeners(null).defaultRequestParameters(null).authToken(null).modelCachePath(null);
        try (ChunkKvJlamaChatModel defaulted = nulls.build();
                ChunkKvJlamaChatModel plain = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(5).build()) {
            assertEquals(ask(plain, "hello").aiMessage().text(), ask(defaulted, "hello").aiMessage().text(), "greedy by default");
            assertEquals(Set.of(), defaulted.supportedCapabilities());
        }
    }

    @Test
    void maxTokensIsMaxOutputTokens() {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxTokens(3).build()) {
            assertEquals(3, model.defaultRequestParameters().maxOutputTokens());
            assertTrue(ask(model, "hello").tokenUsage().outputTokenCount() <= 3);
        }
    }

    @Test
    void seededSamplingIsReproducibleAsABuilderOptionAndPerRequest() {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(12)
                .temperature(1.5).topP(0.95).topK(40).repetitionPenalty(1.2).seed(7).build()) {
            ChunkKvChatRequestParameters.Builder none = ChunkKvChatRequestParameters.builder();
            String first = ask(model, "Tell me a story", none.build()).aiMessage().text();
            assertEquals(first, ask(model, "Tell me a story", none.build()).aiMessage().text(), "the builder's seed");
            List<String> others = new ArrayList<>();
            for (int seed = 8; seed < 12; seed++) {
                ChunkKvChatRequestParameters reseeded = ChunkKvChatRequestParameters.builder().seed(seed).build();
                String reply = ask(model, "Tell me a story", reseeded).aiMessage().text();
                assertEquals(reply, ask(model, "Tell me a story", reseeded).aiMessage().text(), "seed " + seed);
                others.add(reply);
            }
            assertNotEquals(List.of(first, first, first, first), others, "other seeds draw other replies");
            assertEquals(1.2, model.defaultRequestParameters().repetitionPenalty());
            assertEquals(40, model.defaultRequestParameters().topK());
        }
    }

    @Test
    void topKOfOneIsGreedyAtAnyTemperature() {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(8).build()) {
            String greedy = ask(model, "hello").aiMessage().text();
            ChunkKvChatRequestParameters hot = ChunkKvChatRequestParameters.builder().temperature(3.0).topK(1).build();
            assertEquals(greedy, ask(model, "hello", hot).aiMessage().text());
        }
    }

    @Test
    void outOfRangeSamplingOptionsFailBuildNamingTheOption() {
        for (var bad : List.<java.util.function.Consumer<ChunkKvJlamaChatModel.Builder>>of(
                b -> b.topP(0.0), b -> b.topK(0), b -> b.repetitionPenalty(0.0), b -> b.timeout(Duration.ZERO))) {
            ChunkKvJlamaChatModel.Builder b = ChunkKvJlamaChatModel.builder().modelPath(folder);
            bad.accept(b);
            var e = assertThrows(IllegalArgumentException.class, b::build);
            assertTrue(e.getMessage().matches("(?s).*(topP|topK|repetitionPenalty|timeout).*"), e.getMessage());
        }
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).build()) {
            var e = assertThrows(InvalidRequestException.class,
                    () -> ask(model, "hi", ChunkKvChatRequestParameters.builder().repetitionPenalty(-1.0).build()));
            assertTrue(e.getMessage().contains("repetitionPenalty"), e.getMessage());
        }
    }

    @Test
    void aTimeoutEndsTheReplyBetweenTokensWithFinishReasonLength() {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(50)
                .timeout(Duration.ofNanos(1)).build()) {
            ChatResponse r = ask(model, "hello");
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(1, r.tokenUsage().outputTokenCount(), "the time was up after the prefill: one token");
        }
    }

    @Test
    void requestsAndResponsesAreLoggedToTheGivenLogger() {
        Queue<SubstituteLoggingEvent> events = new ArrayDeque<>();
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(3)
                .logRequests(true).logResponses(true).logger(recordingLogger(events)).build()) {
            ask(model, "hello there");
        }
        List<String> lines = lines(events);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("INFO request: ") && lines.get(0).contains("hello there"), lines.get(0));
        assertTrue(lines.get(1).startsWith("INFO response: ") && lines.get(1).contains("reusedTokens"), lines.get(1));

        Queue<SubstituteLoggingEvent> quiet = new ArrayDeque<>();
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(3).logRequests(true)
                .logger(recordingLogger(quiet)).build()) {
            ask(model, "hello there");
        }
        assertEquals(1, quiet.size(), "responses are not logged unless asked: " + lines(quiet));
    }

    @Test
    void declaredCapabilitiesAreReported() {
        try (ChunkKvJlamaStreamingChatModel model = ChunkKvJlamaStreamingChatModel.builder().modelPath(folder)
                .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA).build()) {
            assertEquals(Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA), model.supportedCapabilities());
        }
    }

    @Test
    void weightsQuantizedAtRuntimeStillAnswer() {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(4)
                .quantizeModelAtRuntime(true).build()) {
            assertEquals(4, ask(model, "hello").tokenUsage().outputTokenCount(), "a Q4 model answers");
        }
    }

    @Test
    void builderComesFromARegisteredFactory() {
        int before = CountingBuilderFactory.BUILDERS.get();
        ChunkKvJlamaChatModel.builder();
        assertEquals(before + 1, CountingBuilderFactory.BUILDERS.get());
    }

    /** An SLF4J logger (slf4j's own event recorder) that keeps what it is given in {@code events}. */
    private static Logger recordingLogger(Queue<SubstituteLoggingEvent> events) {
        return new EventRecordingLogger(new SubstituteLogger("recording", events, false), events);
    }

    /** The recorded events as "LEVEL message" lines. */
    private static List<String> lines(Queue<SubstituteLoggingEvent> events) {
        return events.stream().map(e -> e.getLevel() + " " + MessageFormatter.basicArrayFormat(e.getMessage(), e.getArgumentArray())).toList();
    }
}
