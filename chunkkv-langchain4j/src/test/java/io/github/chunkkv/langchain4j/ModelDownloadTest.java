package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads by model name from a real HTTP server on loopback that serves model folders in the hub's layout. */
class ModelDownloadTest {
    private static final Duration NO_WAIT = Duration.ofMillis(1);

    @TempDir
    static Path models;

    static Path tinyModel;

    @TempDir
    Path cache;

    LocalHub hub;

    @BeforeAll
    static void writeModel() {
        tinyModel = TinyChatModels.llama(models);
    }

    @BeforeEach
    void startHub() {
        hub = new LocalHub().serve("tiny/llama", tinyModel).serve("tiny/gated", tinyModel).gate("tiny/gated", "s3cret");
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private HubDownloader downloader(String token) {
        return new HubDownloader(hub.url(), token, NO_WAIT);
    }

    @Test
    void aModelIsDownloadedIntoOwnerUnderscoreNameAndAnswers() throws IOException {
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelName("tiny/llama").modelHubUrl(hub.url())
                .modelCachePath(cache).maxTokens(3).build()) {
            ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("hello")).build());
            assertEquals("tiny/llama", r.metadata().modelName());
        }
        Path folder = cache.resolve("tiny_llama");
        assertTrue(Files.exists(folder.resolve(HubDownloader.FINISHED_MARKER)));
        for (String file : List.of("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors")) {
            assertEquals(-1, Files.mismatch(tinyModel.resolve(file), folder.resolve(file)), file);
        }
        assertFalse(Files.exists(folder.resolve("README.md")), "only what Jlama loads is fetched");
        assertEquals(List.of(), leftovers(folder));

        int requests = hub.requests.size();
        assertEquals(folder, downloader(null).download("tiny/llama", cache));
        assertEquals(requests, hub.requests.size(), "a finished folder is used without asking the hub");
    }

    @Test
    void aDroppedConnectionIsResumedWithARangeRequest() throws IOException {
        hub.dropOnce("model.safetensors");
        Path folder = downloader(null).download("tiny/llama", cache);
        assertEquals(-1, Files.mismatch(tinyModel.resolve("model.safetensors"), folder.resolve("model.safetensors")));
        List<LocalHub.Request> weights = hub.requests.stream().filter(r -> r.path().endsWith("/model.safetensors")).toList();
        assertEquals(2, weights.size(), weights.toString());
        long size = Files.size(tinyModel.resolve("model.safetensors"));
        assertEquals(null, weights.get(0).range());
        String range = weights.get(1).range();
        assertTrue(range != null && range.matches("bytes=\\d+-"), range);
        long from = Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
        assertTrue(from > 0 && from <= size / 2, "the second request asks only for what the first did not bring: " + range);
        assertEquals(List.of(), leftovers(folder));
    }

    @Test
    void corruptedBytesFailTheChecksumAndAreFetchedAgain() throws IOException {
        hub.corruptOnce("model.safetensors");
        Path folder = downloader(null).download("tiny/llama", cache);
        assertEquals(-1, Files.mismatch(tinyModel.resolve("model.safetensors"), folder.resolve("model.safetensors")));
        assertEquals(2, hub.requests.stream().filter(r -> r.path().endsWith("/model.safetensors")).count());
    }

    @Test
    void anUnknownModelIsA404NamingTheModelAndLeavesNothing() {
        var e = assertThrows(ModelNotFoundException.class, () -> ChunkKvJlamaChatModel.builder().modelName("tiny/nope")
                .modelHubUrl(hub.url()).modelCachePath(cache).build());
        assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("tiny/nope"), e.getMessage());
        assertFalse(Files.exists(cache.resolve("tiny_nope")));
        assertEquals(1, hub.requests.size(), "a 404 is not retried");
    }

    @Test
    void aGatedModelNeedsTheRightAuthToken() throws IOException {
        var anonymous = assertThrows(AuthenticationException.class, () -> ChunkKvJlamaChatModel.builder().modelName("tiny/gated")
                .modelHubUrl(hub.url()).modelCachePath(cache).build());
        assertTrue(anonymous.getMessage().contains("gated or private (HTTP 401)") && anonymous.getMessage().contains("authToken"),
                anonymous.getMessage());
        var wrong = assertThrows(AuthenticationException.class, () -> downloader("wrong").download("tiny/gated", cache));
        assertTrue(wrong.getMessage().contains("authToken given does not grant access") && wrong.getMessage().contains("403"),
                wrong.getMessage());
        Path folder = downloader("s3cret").download("tiny/gated", cache);
        assertTrue(Files.exists(folder.resolve("model.safetensors")));
    }

    @Test
    void anUnreachableHubSaysWhatToDoOffline() {
        URI closedPort = hub.url();
        hub.close();
        var e = assertThrows(ModelNotFoundException.class, () -> ChunkKvJlamaChatModel.builder().modelName("tiny/llama")
                .modelHubUrl(closedPort).modelCachePath(cache).build());
        assertTrue(e.getMessage().contains("could not be downloaded from " + closedPort) && e.getMessage().contains("modelPath("),
                e.getMessage());
    }

    @Test
    void aModelNameThatIsNoRepositoryIsRefusedBeforeAnyRequest() {
        var e = assertThrows(IllegalArgumentException.class, () -> ChunkKvJlamaChatModel.builder().modelName("../etc")
                .modelHubUrl(hub.url()).modelCachePath(cache).build());
        assertTrue(e.getMessage().contains("modelName must be a Hugging Face repository 'owner/name'"), e.getMessage());
        assertEquals(0, hub.requests.size());
    }

    private static List<Path> leftovers(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".part")).toList();
        }
    }
}
