package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.testing.RealModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Chat memory is the multi-turn case: every turn re-sends the history and asks about another fact of the same
 * context. With {@code kvCompression(0.1)} and the default recall (each turn re-selects the hot rows over the whole
 * context, and decoding recalls cold chunks a step attends to), every reply equals FullKV's, text for text, on
 * needle-lm; one-shot compression retrieves almost nothing after the first turn.
 */
class MultiTurnMemoryTest {
    interface Assistant {
        String chat(String message);
    }

    interface StreamingAssistant {
        TokenStream chat(String message);
    }

    private static final double KEEP = 0.1;
    /** Characters of filler per generated context: about 1,700 tokens with its needles, within needle-lm's 2K. */
    private static final int CONTEXT_CHARS = 6_000;
    private static final int QUESTIONS_PER_CONTEXT = 5;
    private static final long SEED = 10;

    /** A context and the facts asked about it, one per turn, in order. */
    record Conversation(String context, List<NeedleFormat.Fact> asked) {}

    /** The demo's first document, three needle facts. */
    static final Path DOCUMENT = Path.of(System.getProperty("chunkkv.repo.dir", "."), "examples", "src", "main", "resources",
            "demo-docs", "gospel-excerpt-1.txt");

    /** The demo document, its three facts asked one per turn. */
    static List<Conversation> demoDocument() throws IOException {
        String text = Files.readString(DOCUMENT);
        return List.of(new Conversation(text, NeedleFormat.findFacts(text)));
    }

    /**
     * Three contexts cut from different parts of needle-lm's haystack, each holding five magic-number needles at
     * spread depths; the five are asked in a shuffled order, so a turn's needle is rarely next to the last one's.
     */
    static List<Conversation> threeContexts(Path modelDir) throws IOException {
        String haystack = Files.readString(modelDir.resolve("haystack-nt.txt"));
        Random random = new Random(SEED);
        List<String> keys = NeedleFormat.keys(random, 3 * QUESTIONS_PER_CONTEXT, NeedleFormat.keyPool(modelDir));
        List<Conversation> conversations = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            int from = haystack.indexOf(". ", (c + 1) * haystack.length() / 4) + 2;
            StringBuilder context = new StringBuilder(haystack.substring(from, from + CONTEXT_CHARS));
            List<NeedleFormat.Fact> facts = new ArrayList<>();
            for (int n = QUESTIONS_PER_CONTEXT - 1; n >= 0; n--) { // from the end, so earlier insertion points stay valid
                String key = keys.get(c * QUESTIONS_PER_CONTEXT + n);
                NeedleFormat.Fact fact = new NeedleFormat.Fact(NeedleFormat.FactKind.MAGIC_NUMBER, key, NeedleFormat.value(random));
                int at = context.indexOf(". ", (int) ((n + 0.5) * CONTEXT_CHARS / QUESTIONS_PER_CONTEXT)) + 2;
                context.insert(at, fact.statement() + " ");
                facts.add(fact);
            }
            Collections.shuffle(facts, random);
            conversations.add(new Conversation(context.toString(), facts));
        }
        return conversations;
    }

    @Test
    void threeQuestionsAboutOneDocumentAreAnsweredAsWithTheFullCache() throws IOException {
        assertAnswersAsFullKv(demoDocument(), MultiTurnMemoryTest::blockingReplies);
    }

    @Test
    void fiveQuestionsOverEachOfThreeContextsAreAnsweredAsWithTheFullCache() throws IOException {
        assertAnswersAsFullKv(threeContexts(RealModels.needleLm()), MultiTurnMemoryTest::blockingReplies);
    }

    @Test
    void streamingAnswersFiveQuestionsOverEachOfThreeContextsAsWithTheFullCache() throws IOException {
        assertAnswersAsFullKv(threeContexts(RealModels.needleLm()), MultiTurnMemoryTest::streamingReplies);
    }

    /** FullKV answers every question right, and the compressed cache with recall replies exactly as FullKV. */
    private static void assertAnswersAsFullKv(List<Conversation> conversations, Replies replies) {
        Path model = RealModels.needleLm();
        List<String> full = replies.of(model, null, conversations);
        List<String> expected = conversations.stream().flatMap(c -> c.asked().stream()).map(NeedleFormat.Fact::value).toList();
        assertEquals(expected, full.stream().map(NeedleFormat::answer).toList(), "FullKV answers every question");
        assertEquals(full, replies.of(model, KEEP, conversations), "kvCompression(" + KEEP + ") replies as FullKV, turn by turn");
    }

    @FunctionalInterface
    interface Replies {
        /** Every reply of every conversation, conversation after conversation; {@code keep} null: FullKV. */
        List<String> of(Path modelDir, Double keep, List<Conversation> conversations);
    }

    /** Either model's builder on {@code modelDir}, answers of at most the needle answer length, {@code keep} (null: FullKV). */
    private static <B extends ChunkKvJlamaModelBuilder<B>> B configured(B builder, Path modelDir, Double keep) {
        return builder.modelPath(modelDir).maxOutputTokens(NeedleFormat.MAX_ANSWER_TOKENS).kvCompression(keep);
    }

    static List<String> blockingReplies(Path modelDir, Double keep, List<Conversation> conversations) {
        try (ChunkKvJlamaChatModel model = configured(ChunkKvJlamaChatModel.builder(), modelDir, keep).build()) {
            return interleaved(conversations, () -> {
                Assistant assistant = assistant(model);
                return assistant::chat;
            });
        }
    }

    static List<String> streamingReplies(Path modelDir, Double keep, List<Conversation> conversations) {
        try (ChunkKvJlamaStreamingChatModel model = configured(ChunkKvJlamaStreamingChatModel.builder(), modelDir, keep).build()) {
            return interleaved(conversations, () -> {
                StreamingAssistant assistant = streamingAssistant(model);
                return message -> {
                    CompletableFuture<String> reply = new CompletableFuture<>();
                    assistant.chat(message).onPartialResponse(token -> {}).onCompleteResponse(r -> reply.complete(r.aiMessage().text()))
                            .onError(reply::completeExceptionally).start();
                    return reply.orTimeout(2, TimeUnit.MINUTES).join();
                };
            });
        }
    }

    /**
     * Asks turn t of every conversation before turn t + 1 of any (three users of one model), each conversation
     * through its own assistant and chat memory; returns the replies grouped by conversation, in turn order.
     */
    private static List<String> interleaved(List<Conversation> conversations, Supplier<Function<String, String>> newAssistant) {
        List<Function<String, String>> assistants = conversations.stream().map(c -> newAssistant.get()).toList();
        List<List<String>> replies = conversations.stream().<List<String>>map(c -> new ArrayList<>()).toList();
        int turns = conversations.stream().mapToInt(c -> c.asked().size()).max().orElse(0);
        for (int t = 0; t < turns; t++) {
            for (int c = 0; c < conversations.size(); c++) {
                Conversation conversation = conversations.get(c);
                if (t >= conversation.asked().size()) continue;
                String question = conversation.asked().get(t).question();
                String message = t == 0 ? NeedleFormat.userMessage(List.of(conversation.context()), question) : "Question: " + question;
                replies.get(c).add(assistants.get(c).apply(message));
            }
        }
        return replies.stream().flatMap(List::stream).toList();
    }

    private static Assistant assistant(ChatModel model) {
        return AiServices.builder(Assistant.class).chatModel(model).chatMemory(MessageWindowChatMemory.withMaxMessages(20)).build();
    }

    private static StreamingAssistant streamingAssistant(StreamingChatModel model) {
        return AiServices.builder(StreamingAssistant.class).streamingChatModel(model)
                .chatMemory(MessageWindowChatMemory.withMaxMessages(20)).build();
    }
}
