package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Multi-turn conversations continue their cached (compressed) session instead of prefilling the history again. */
class SessionReuseTest {
    @TempDir
    static Path dir;

    static Path folder;

    interface Assistant {
        String chat(String message);
    }

    @BeforeAll
    static void write() {
        folder = TinyChatModels.llama(dir);
    }

    /** Collects the metadata of every response a model gives. */
    static final class MetadataRecorder implements ChatModelListener {
        final List<ChunkKvChatResponseMetadata> seen = new ArrayList<>();

        @Override
        public void onResponse(ChatModelResponseContext c) {
            seen.add(assertInstanceOf(ChunkKvChatResponseMetadata.class, c.chatResponse().metadata()));
        }
    }

    private static List<String> converse(ChatModel model) {
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
                .chatMemory(MessageWindowChatMemory.withMaxMessages(10)).build();
        return List.of(assistant.chat("Hello, who are you?"), assistant.chat("And what can you do?"), assistant.chat("Thanks."));
    }

    @Test
    void laterTurnsReuseTheCacheAndMatchAFreshModelAtKeepOne() {
        MetadataRecorder recorder = new MetadataRecorder();
        List<String> replies;
        List<ChatMessage> lastTurn;
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).kvCompression(1.0)
                .maxOutputTokens(8).listeners(List.of(recorder)).build()) {
            replies = converse(model);
            lastTurn = List.of(UserMessage.from("Hello, who are you?"), AiMessage.from(replies.get(0)),
                    UserMessage.from("And what can you do?"), AiMessage.from(replies.get(1)), UserMessage.from("Thanks."));
        }
        assertEquals(0, recorder.seen.get(0).reusedTokens());
        for (int turn = 1; turn < 3; turn++) {
            ChunkKvChatResponseMetadata m = recorder.seen.get(turn);
            assertTrue(m.reusedTokens() > recorder.seen.get(turn - 1).promptTokens() - 1,
                    "turn " + turn + " reuses at least the previous prompt: " + m);
            assertTrue(m.reusedTokens() < m.promptTokens());
        }

        // A fresh model (different session-cache size, so loaded separately) prefills the third turn from scratch.
        try (ChunkKvJlamaChatModel fresh = ChunkKvJlamaChatModel.builder().modelPath(folder).kvCompression(1.0)
                .maxOutputTokens(8).maxSessions(1).build()) {
            ChatResponse r = fresh.chat(ChatRequest.builder().messages(lastTurn).build());
            assertEquals(0, ((ChunkKvChatResponseMetadata) r.metadata()).reusedTokens());
            assertEquals(replies.get(2), r.aiMessage().text());
        }
    }

    @Test
    void compressedSessionsAreContinuedToo() {
        MetadataRecorder recorder = new MetadataRecorder();
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder)
                .kvCompression("chunkkv:keep=0.5,chunk=4,window=8").maxOutputTokens(6).maxSessions(3)
                .listeners(List.of(recorder)).build()) {
            converse(model);
        }
        ChunkKvChatResponseMetadata second = recorder.seen.get(1);
        assertTrue(second.reusedTokens() > 0, second.toString());
        assertTrue(second.policy().startsWith("chunkkv:keep=0.5"), second.policy());
        assertTrue(second.keptTokens() < second.promptTokens(), "the cache was compressed: " + second);
        assertTrue(second.kvBytesAfter() < second.kvBytesBefore(), second.toString());
    }

    @Test
    void aDifferentlyResentReplyRewindsTheGeneratedTail() {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(8).maxSessions(4).build()) {
            UserMessage first = UserMessage.from("Tell me a story.");
            String reply = model.chat(ChatRequest.builder().messages(first).build()).aiMessage().text();
            assertTrue(reply.length() >= 4, reply);
            // The client edits the reply: the cached generated tokens after the edit are dropped, the prompt is kept.
            String edited = reply.substring(0, 2) + "!!";
            ChatResponse r = model.chat(ChatRequest.builder()
                    .messages(first, AiMessage.from(edited), UserMessage.from("Go on.")).build());
            ChunkKvChatResponseMetadata m = (ChunkKvChatResponseMetadata) r.metadata();
            int promptOfFirstTurn = 1 + "user: Tell me a story.\nassistant: ".length();
            assertEquals(promptOfFirstTurn + 2, m.reusedTokens(), m.toString());
        }
    }

    @Test
    void anIdenticalResentPromptReusesItsWholeSessionAndGetsTheSameGreedyReply() {
        for (String policy : List.of("full", "chunkkv:keep=0.5,chunk=4,window=8")) {
            try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).kvCompression(policy)
                    .maxOutputTokens(6).maxSessions(2).build()) {
                ChatRequest request = ChatRequest.builder().messages(UserMessage.from("Say it again.")).build();
                ChatResponse first = model.chat(request);
                ChatResponse again = model.chat(request);
                ChunkKvChatResponseMetadata m = (ChunkKvChatResponseMetadata) again.metadata();
                assertEquals(m.promptTokens(), m.reusedTokens(), policy + ": " + m);
                assertEquals(0.0, m.compressMillis(), "nothing was compressed again: " + m);
                assertEquals(first.aiMessage().text(), again.aiMessage().text(), policy);
                // and the conversation still goes on from the regenerated reply
                ChatResponse next = model.chat(ChatRequest.builder()
                        .messages(UserMessage.from("Say it again."), again.aiMessage(), UserMessage.from("More.")).build());
                assertTrue(((ChunkKvChatResponseMetadata) next.metadata()).reusedTokens() > m.promptTokens(), next.metadata().toString());
            }
        }
    }

    /**
     * needle-lm's template cues the reply with "assistant:" and renders history as "assistant: " + content, so the model
     * generates the separating space itself; the reply leaves it out and the memory's history re-renders the session's
     * tokens exactly.
     */
    @Test
    void onNeedleLmChatMemoryTurnTwoReusesTurnOnesPromptAndAnswer() {
        Path needle = Path.of(System.getProperty("chunkkv.repo.dir", "..")).resolve("models/needle-lm");
        MetadataRecorder recorder = new MetadataRecorder();
        String[] replies = new String[2];
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(needle).maxOutputTokens(12)
                .listeners(List.of(recorder)).build()) {
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(10)).build();
            replies[0] = assistant.chat("The secret word for mapaz is: wheels. What is the secret word for mapaz?");
            replies[1] = assistant.chat("And again?");
        }
        ChunkKvChatResponseMetadata first = recorder.seen.get(0);
        ChunkKvChatResponseMetadata second = recorder.seen.get(1);
        // The session holds turn 1's prompt and every answer token but a last one cut by the token limit.
        int answerInSession = first.finishReason() == dev.langchain4j.model.output.FinishReason.STOP
                ? first.tokenUsage().outputTokenCount()
                : first.tokenUsage().outputTokenCount() - 1;
        assertTrue(answerInSession > 0, first.toString());
        assertEquals(first.promptTokens() + answerInSession, second.reusedTokens(), "turn 2 reuses turn 1's prompt and answer: " + second);
        for (String reply : replies) assertFalse(reply.startsWith(" "), "'" + reply + "'");
    }

    @Test
    void unrelatedConversationsGetTheirOwnSessionsAndTheOldestIsEvicted() {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).maxOutputTokens(3).maxSessions(2).build()) {
            ChatRequest a = ChatRequest.builder().messages(UserMessage.from("alpha")).build();
            ChatRequest b = ChatRequest.builder().messages(UserMessage.from("beta")).build();
            ChatRequest c = ChatRequest.builder().messages(UserMessage.from("gamma")).build();
            String replyA = model.chat(a).aiMessage().text();
            model.chat(b);
            model.chat(c); // evicts alpha's session (least recently used)
            ChatResponse again = model.chat(ChatRequest.builder()
                    .messages(UserMessage.from("alpha"), AiMessage.from(replyA), UserMessage.from("more")).build());
            assertEquals(0, ((ChunkKvChatResponseMetadata) again.metadata()).reusedTokens());
        }
    }
}
