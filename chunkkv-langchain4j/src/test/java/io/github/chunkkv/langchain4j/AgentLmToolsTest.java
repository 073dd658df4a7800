package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.needle.NeedleFormat.Fact;
import io.github.chunkkv.needle.NeedleFormat.FactKind;
import io.github.chunkkv.testing.RealModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tool path end to end on the embedded tool-calling model, agent-lm: AiServices offers a {@code @Tool} method,
 * the chat template renders it, the model calls it with the key from the question, Jlama's parser and the adapter turn
 * the reply into a {@link ToolExecutionRequest}, AiServices runs the tool and re-sends its result, and the model answers
 * with it. Facts stated in the documents are answered without a call.
 */
class AgentLmToolsTest {
    interface Assistant {
        String chat(String message);
    }

    interface StreamingAssistant {
        TokenStream chat(String message);
    }

    /** lookup(key): a table of facts the documents lack; every call is recorded. */
    public static final class FactTable {
        private final Map<String, String> values;
        final List<String> calls = new CopyOnWriteArrayList<>();

        FactTable(List<Fact> facts) {
            values = facts.stream().collect(Collectors.toMap(Fact::key, Fact::value));
        }

        @Tool("Looks up the value stored under a key")
        public String lookup(@P("the key the question asks about") String key) {
            calls.add(key);
            return values.getOrDefault(key, "unknown");
        }
    }

    private static Path model;
    /** Three facts stated in the documents, three only the tool knows. */
    private static List<Fact> inDocuments;
    private static List<Fact> byTool;
    private static String documents;

    @BeforeAll
    static void conversation() throws IOException {
        model = RealModels.agentLm();
        Random random = new Random(17);
        List<String> keys = NeedleFormat.keys(random, 6, NeedleFormat.keyPool(model));
        List<Fact> facts = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            FactKind kind = FactKind.values()[i % FactKind.values().length];
            facts.add(new Fact(kind, keys.get(i), NeedleFormat.value(random)));
        }
        inDocuments = facts.subList(0, 3);
        byTool = facts.subList(3, 6);
        documents = documents(inDocuments, 6_000);
    }

    /** About {@code chars} of the held-out haystack with the facts' sentences at a quarter, half and three quarters. */
    static String documents(List<Fact> facts, int chars) {
        try {
            String haystack = Files.readString(model.resolveSibling("needle-lm").resolve("haystack-nt.txt"));
            String text = haystack.substring(0, haystack.indexOf(". ", chars) + 1);
            StringBuilder out = new StringBuilder();
            int from = 0;
            for (int i = 0; i < facts.size(); i++) {
                int at = text.indexOf(". ", text.length() * (i + 1) / (facts.size() + 1)) + 2;
                out.append(text, from, at).append(facts.get(i).statement()).append(' ');
                from = at;
            }
            return out.append(text.substring(from)).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ChunkKvJlamaChatModel.Builder builder(String policy) {
        return ChunkKvJlamaChatModel.builder().modelPath(model).kvCompression(policy).maxOutputTokens(24);
    }

    @Test
    void theBlockingModelCallsTheToolWithTheAskedKeyAndAnswersWithItsResult() {
        FactTable table = new FactTable(byTool);
        try (ChunkKvJlamaChatModel chatModel = builder("full").build()) {
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(chatModel).tools(table)
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(20)).build();
            Fact asked = byTool.get(0);
            assertEquals(asked.value(), assistant.chat(NeedleFormat.userMessage(List.of(documents), asked.question())).strip());
            assertEquals(List.of(asked.key()), table.calls);

            Fact stated = inDocuments.get(1);
            assertEquals(stated.value(), assistant.chat("Question: " + stated.question()).strip(), "answered from the documents");
            assertEquals(List.of(asked.key()), table.calls, "no call for a fact in the context");
        }
    }

    @Test
    void theStreamingModelCallsTheToolWithTheAskedKeyAndAnswersWithItsResult() throws Exception {
        FactTable table = new FactTable(byTool);
        try (ChunkKvJlamaStreamingChatModel chatModel = ChunkKvJlamaStreamingChatModel.builder().modelPath(model)
                .kvCompression("chunkkv:keep=0.1,recall=ram").maxOutputTokens(24).build()) {
            StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(chatModel).tools(table)
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(20)).build();
            Fact asked = byTool.get(1);
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            List<String> executed = new CopyOnWriteArrayList<>();
            assistant.chat(NeedleFormat.userMessage(List.of(documents), asked.question()))
                    .onPartialResponse(text -> {})
                    .onToolExecuted(execution -> executed.add(execution.request().name() + execution.request().arguments()))
                    .onCompleteResponse(done::complete)
                    .onError(done::completeExceptionally)
                    .start();
            ChatResponse response = done.get(120, TimeUnit.SECONDS);
            assertEquals(asked.value(), response.aiMessage().text().strip());
            assertEquals(List.of("lookup{\"key\":\"" + asked.key() + "\"}"), executed);
            assertEquals(List.of(asked.key()), table.calls);
        }
    }

    @Test
    void aSixQuestionAgentLoopAtKeepTenPercentWithRecallAnswersLikeFullKv() {
        AgentLoop full = AgentLoop.run(builder("full"));
        AgentLoop compressed = AgentLoop.run(builder("chunkkv:keep=0.1,recall=ram"));
        List<String> expected = List.of(inDocuments.get(0), byTool.get(0), inDocuments.get(1), byTool.get(1), inDocuments.get(2),
                byTool.get(2)).stream().map(Fact::value).toList();
        assertEquals(expected, full.answers, "FullKV answers every question");
        assertEquals(full.answers, compressed.answers, "keep 0.1 with recall answers like FullKV");
        assertEquals(full.calls, compressed.calls, "and calls the same tools");
        assertEquals(byTool.stream().map(Fact::key).toList(), full.calls);
        assertEquals(9, compressed.steps.size(), "six answers and three calls: nine model calls");
        assertTrue(compressed.steps.stream().skip(1).allMatch(m -> m.reusedTokens() > 0), "every later step continues the cache");
        assertTrue(compressed.steps.stream().allMatch(m -> m.kvBytesAfter() < m.kvBytesBefore() / 4), "and keeps it compressed");
        assertTrue(compressed.steps.stream().allMatch(m -> m.recall() != null && m.recall().coldRows() > 0), "with a cold tier");
    }

    /** One conversation of six questions, alternating a fact of the documents and one of the tool, on a fresh model. */
    private record AgentLoop(List<String> answers, List<String> calls, List<ChunkKvChatResponseMetadata> steps) {
        static AgentLoop run(ChunkKvJlamaChatModel.Builder builder) {
            List<ChunkKvChatResponseMetadata> steps = new CopyOnWriteArrayList<>();
            ChatModelListener recorder = new ChatModelListener() {
                @Override
                public void onResponse(ChatModelResponseContext context) {
                    steps.add((ChunkKvChatResponseMetadata) context.chatResponse().metadata());
                }
            };
            FactTable table = new FactTable(byTool);
            List<String> answers = new ArrayList<>();
            try (ChunkKvJlamaChatModel chatModel = builder.listeners(List.of(recorder)).build()) {
                Assistant assistant = AiServices.builder(Assistant.class).chatModel(chatModel).tools(table)
                        .chatMemory(MessageWindowChatMemory.withMaxMessages(40)).build();
                for (int i = 0; i < 3; i++) {
                    String first = inDocuments.get(i).question();
                    answers.add(assistant.chat(i == 0 ? NeedleFormat.userMessage(List.of(documents), first) : "Question: " + first).strip());
                    answers.add(assistant.chat("Question: " + byTool.get(i).question()).strip());
                }
            }
            return new AgentLoop(answers, List.copyOf(table.calls), List.copyOf(steps));
        }
    }

    @Test
    void requiredToolChoiceIsRefusedBeforeAnyWork() {
        try (ChunkKvJlamaChatModel chatModel = builder("full").build()) {
            ChatRequest request = ChatRequest.builder().messages(UserMessage.from("Question: " + byTool.get(0).question()))
                    .toolSpecifications(ToolSpecifications.toolSpecificationsFrom(FactTable.class)).toolChoice(ToolChoice.REQUIRED).build();
            var e = assertThrows(UnsupportedFeatureException.class, () -> chatModel.chat(request));
            assertTrue(e.getMessage().contains("ToolChoice.REQUIRED is not supported"), e.getMessage());
        }
    }

    @Test
    void parallelCallsInTheHistoryPairEachResultWithItsOwnCall() {
        // agent-lm calls one tool per reply; a model that called two at once leaves this history.
        Fact first = byTool.get(0);
        Fact second = byTool.get(1);
        ToolExecutionRequest a = ToolExecutionRequest.builder().id("000000000").name("lookup").arguments("{\"key\":\"" + first.key() + "\"}").build();
        ToolExecutionRequest b = ToolExecutionRequest.builder().id("000000001").name("lookup").arguments("{\"key\":\"" + second.key() + "\"}").build();
        try (ChunkKvJlamaChatModel chatModel = builder("full").build()) {
            for (Fact asked : List.of(first, second)) {
                ChatResponse r = chatModel.chat(ChatRequest.builder()
                        .messages(UserMessage.from("Question: " + second.question()), AiMessage.from(a, b),
                                ToolExecutionResultMessage.from(a, first.value()), ToolExecutionResultMessage.from(b, second.value()),
                                UserMessage.from("Question: " + asked.question()))
                        .toolSpecifications(ToolSpecifications.toolSpecificationsFrom(FactTable.class)).build());
                assertEquals(asked.value(), r.aiMessage().text().strip(), "each result is stated for its own key");
            }
        }
    }
}
