package io.github.chunkkv.examples.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.examples.TestModels;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.redis.RedisServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A document published once by {@code ./chunkkv snapshot --publish} is the prefix of a RAG prompt that any chat model
 * with the same store and policy answers without prefilling the document.
 */
class SnapshotPublishTest {
    @TempDir
    Path dir;

    @Test
    void aDocumentPublishedToAFolderIsNotPrefilledAgain() throws Exception {
        assertPublishedDocumentIsReused(dir.resolve("store").toString());
    }

    @Test
    void aDocumentPublishedToRedisIsNotPrefilledAgain() throws Exception {
        try (RedisServer redis = RedisServer.startOrSkip()) {
            assertPublishedDocumentIsReused(redis.uri());
        }
    }

    private void assertPublishedDocumentIsReused(String address) throws Exception {
        Path model = TestModels.needleLm();
        TestModels.Console console = new TestModels.Console();
        CommandLine cli = SnapshotCommand.commandLine();
        cli.setOut(new PrintWriter(console.out, true));
        cli.setErr(new PrintWriter(console.err, true));
        assertEquals(0, cli.execute("--model", model.toString(), "--document", SnapshotAskCommandTest.DOCUMENT.toString(), "--publish", address),
                console.err());
        Matcher m = Pattern.compile("snapshot tokens=(\\d+) .* published=chunkkv:\\S+").matcher(console.out().strip());
        assertTrue(m.matches(), console.out());
        int documentTokens = Integer.parseInt(m.group(1));

        String document = Files.readString(SnapshotAskCommandTest.DOCUMENT);
        NeedleFormat.Fact fact = NeedleFormat.findFacts(document).get(0);
        try (KvCacheStore store = StoreAddress.open(address, Duration.ofHours(1));
                ChunkKvJlamaChatModel chat = ChunkKvJlamaChatModel.builder().modelPath(model).kvCompression(SnapshotCommand.DEFAULT_POLICY)
                        .maxOutputTokens(NeedleFormat.MAX_ANSWER_TOKENS).store(store).build()) {
            ChatResponse r = chat.chat(ChatRequest.builder()
                    .messages(UserMessage.from(NeedleFormat.userMessage(List.of(document), fact.question())))
                    .build());
            ChunkKvChatResponseMetadata meta = (ChunkKvChatResponseMetadata) r.metadata();
            assertEquals(documentTokens, meta.reusedTokens(), "the whole document came from the store");
            assertTrue(meta.promptTokens() - meta.reusedTokens() < 40, "only the question was prefilled: " + meta);
        }
    }
}
