package io.github.chunkkv.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.StoreLimits;
import io.github.chunkkv.store.redis.RedisKvCacheStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One conversation about a demo document (one needle question per turn, as a chat memory sends it), answered turn by
 * turn by whichever model instance is given; and {@link #main}, an instance in a JVM of its own that answers one turn.
 */
final class SharedConversations {
    static final String POLICY = "chunkkv:keep=0.1";

    /** What one instance answered for a turn. */
    record Turn(String text, int promptTokens, int reusedTokens) {
        static Turn of(ChatResponse r) {
            ChunkKvChatResponseMetadata m = (ChunkKvChatResponseMetadata) r.metadata();
            return new Turn(r.aiMessage().text(), m.promptTokens(), m.reusedTokens());
        }
    }

    private SharedConversations() {}

    /** The user messages of the conversation: the document with its first question, then one question per turn. */
    static List<String> userTurns(Path document) throws IOException {
        String text = Files.readString(document);
        List<NeedleFormat.Fact> facts = NeedleFormat.findFacts(text);
        List<String> turns = new ArrayList<>();
        turns.add(NeedleFormat.userMessage(List.of(text), facts.get(0).question()));
        for (NeedleFormat.Fact f : facts.subList(1, facts.size())) turns.add("Question: " + f.question());
        turns.add("Question: " + facts.get(0).question());
        return turns;
    }

    static ChunkKvJlamaChatModel model(Path modelDir, KvCacheStore store) {
        return ChunkKvJlamaChatModel.builder().modelPath(modelDir).kvCompression(POLICY).maxOutputTokens(NeedleFormat.MAX_ANSWER_TOKENS)
                .store(store).build();
    }

    /** Answers the next user turn after {@code history} and appends both messages to it. */
    static Turn answer(ChunkKvJlamaChatModel model, List<ChatMessage> history, String userTurn) {
        history.add(UserMessage.from(userTurn));
        ChatResponse response = model.chat(ChatRequest.builder().messages(history).build());
        history.add(response.aiMessage());
        return Turn.of(response);
    }

    /** Answers the last message of {@code history} in a new JVM with its own instance of the model and store. */
    static Turn answerInAnotherJvm(Path modelDir, String redisUri, List<ChatMessage> history, Path workDir) throws Exception {
        Path messages = Files.writeString(workDir.resolve("messages.json"), ChatMessageSerializer.messagesToJson(history));
        Path out = workDir.resolve("turn.txt");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g",
                "-cp", System.getProperty("java.class.path"), SharedConversations.class.getName(), modelDir.toString(), redisUri,
                messages.toString(), out.toString())
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("jvm.log").toFile())
                .start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("the other JVM failed:\n" + Files.readString(workDir.resolve("jvm.log")));
        }
        String[] f = Files.readString(out).split(" ");
        return new Turn(new String(Base64.getDecoder().decode(f[0]), StandardCharsets.UTF_8), Integer.parseInt(f[1]), Integer.parseInt(f[2]));
    }

    /** Args: model folder, Redis URI, messages JSON file, output file. Writes "base64(text) promptTokens reusedTokens". */
    public static void main(String[] args) throws IOException {
        List<ChatMessage> messages = ChatMessageDeserializer.messagesFromJson(Files.readString(Path.of(args[2])));
        try (KvCacheStore store = RedisKvCacheStore.connect(args[1], StoreLimits.DEFAULT, RedisKvCacheStore.DEFAULT_CHUNK_BYTES, Duration.ofSeconds(5));
                ChunkKvJlamaChatModel model = model(Path.of(args[0]), store)) {
            Turn t = Turn.of(model.chat(ChatRequest.builder().messages(messages).build()));
            Files.writeString(Path.of(args[3]), Base64.getEncoder().encodeToString(t.text().getBytes(StandardCharsets.UTF_8)) + " "
                    + t.promptTokens() + " " + t.reusedTokens()); // the model's close has written the session behind
        }
    }
}
