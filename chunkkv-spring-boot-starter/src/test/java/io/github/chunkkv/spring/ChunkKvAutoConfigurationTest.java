package io.github.chunkkv.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.spring.LangChain4jAutoConfig;
import io.github.chunkkv.config.Recall;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.langchain4j.ChunkKvJlamaStreamingChatModel;
import io.github.chunkkv.spring.app.Assistant;
import io.github.chunkkv.spring.app.AssistantApplication;
import io.github.chunkkv.store.DirectoryStore;
import io.github.chunkkv.store.KvCacheStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The auto-configuration in real Spring contexts, on the project's needle-lm model. */
class ChunkKvAutoConfigurationTest {
    private static final Path NEEDLE_LM = Path.of(System.getProperty("chunkkv.repo.dir", "..")).resolve("models/needle-lm");
    private static final String QUESTION = "The secret word for mapaz is: wheels. And they went their way.\nQuestion: What is the secret word for mapaz?";

    /** A prompt long enough to be shared through a store (shorter ones are cheaper to prefill again than to fetch). */
    private static final String LONG_QUESTION = "And Jesus went about all Galilee, teaching in their synagogues. ".repeat(8) + QUESTION;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ChunkKvAutoConfiguration.class));

    @Test
    void propertiesMakeBothModelsWhichAnswerAndShareTheirOptions() {
        runner.withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.kv-compression=chunkkv:keep=0.5,window=8",
                "chunkkv.max-tokens=8", "chunkkv.temperature=0", "chunkkv.max-sessions=3").run(context -> {
            assertThat(context).hasSingleBean(ChatModel.class).hasSingleBean(StreamingChatModel.class);
            ChunkKvJlamaChatModel chat = context.getBean(ChunkKvJlamaChatModel.class);
            assertThat(chat.defaultRequestParameters().maxOutputTokens()).isEqualTo(8);
            assertThat(chat.defaultRequestParameters().kvCompression().toSpec()).startsWith("chunkkv:keep=0.5");
            ChatResponse response = chat.chat(ChatRequest.builder().messages(UserMessage.from(QUESTION)).build());
            assertThat(response.aiMessage().text()).contains("wheels");
            assertThat(((ChunkKvChatResponseMetadata) response.metadata()).policy()).startsWith("chunkkv:keep=0.5");

            CompletableFuture<ChatResponse> streamed = new CompletableFuture<>();
            context.getBean(ChunkKvJlamaStreamingChatModel.class).chat(QUESTION, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String partialResponse) {}

                @Override
                public void onCompleteResponse(ChatResponse completeResponse) {
                    streamed.complete(completeResponse);
                }

                @Override
                public void onError(Throwable error) {
                    streamed.completeExceptionally(error);
                }
            });
            assertThat(streamed.get(2, TimeUnit.MINUTES).aiMessage().text()).isEqualTo(response.aiMessage().text());
        });
    }

    @Test
    void anAiServiceRunsOnTheAutoConfiguredModelAndListenerBeansSeeIt() {
        List<ChatModelResponseContext> responses = new CopyOnWriteArrayList<>();
        runner.withConfiguration(AutoConfigurations.of(LangChain4jAutoConfig.class))
                .withUserConfiguration(AssistantApplication.class)
                .withBean(ChatModelListener.class, () -> new ChatModelListener() {
                    @Override
                    public void onResponse(ChatModelResponseContext responseContext) {
                        responses.add(responseContext);
                    }
                })
                .withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.kv-compression=chunkkv:keep=0.5", "chunkkv.max-tokens=8")
                .run(context -> {
                    assertThat(context.getBean(Assistant.class).chat(QUESTION)).contains("wheels");
                    assertThat(responses).hasSize(1);
                });
    }

    @Test
    void recallIsAPropertyOfBothModelsAndASpecNamingRecallWins() {
        runner.withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.kv-compression=chunkkv:keep=0.1", "chunkkv.recall=disk")
                .run(context -> {
                    assertThat(context.getBean(ChunkKvJlamaChatModel.class).defaultRequestParameters().kvCompression().recall()).isEqualTo(Recall.DISK);
                    assertThat(context.getBean(ChunkKvJlamaStreamingChatModel.class).defaultRequestParameters().kvCompression().recall())
                            .isEqualTo(Recall.DISK);
                });
        runner.withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.kv-compression=chunkkv:keep=0.1").run(context -> assertThat(
                context.getBean(ChunkKvJlamaChatModel.class).defaultRequestParameters().kvCompression().recall()).isEqualTo(Recall.RAM));
        runner.withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.kv-compression=chunkkv:keep=0.1,recall=off", "chunkkv.recall=disk")
                .run(context -> assertThat(context.getBean(ChunkKvJlamaChatModel.class).defaultRequestParameters().kvCompression().recall())
                        .isEqualTo(Recall.OFF));
        runner.withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.recall=tape").run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure())).anyMatch(m -> m.contains("chunkkv.recall"));
        });
    }

    @Test
    void aStoreDirectoryIsSharedByBothModelsWhichSaveConversationsThere(@TempDir Path store) throws Exception {
        runner.withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.kv-compression=chunkkv:keep=0.5", "chunkkv.max-tokens=8",
                "chunkkv.store-directory=" + store).run(context -> {
            assertThat(context).hasSingleBean(DirectoryStore.class);
            context.getBean(ChunkKvJlamaChatModel.class).chat(LONG_QUESTION);
            assertThat(waitForEntries(store.resolve("entries"))).as("the conversation is written to the store behind the reply").isNotEmpty();
        });
    }

    @Test
    void theApplicationsOwnStoreWins(@TempDir Path own, @TempDir Path property) {
        runner.withBean(KvCacheStore.class, () -> new DirectoryStore(own))
                .withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.kv-compression=chunkkv:keep=0.5", "chunkkv.max-tokens=8",
                        "chunkkv.store-directory=" + property)
                .run(context -> {
                    assertThat(context).hasSingleBean(KvCacheStore.class);
                    context.getBean(ChunkKvJlamaChatModel.class).chat(LONG_QUESTION);
                    assertThat(waitForEntries(own.resolve("entries"))).isNotEmpty();
                    assertThat(property).isEmptyDirectory();
                });
    }

    /** The store's entry files once one appears (sessions are written on a background thread), or none after 30 s. */
    private static List<Path> waitForEntries(Path entries) throws Exception {
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); System.nanoTime() < deadline; Thread.sleep(50)) {
            if (Files.isDirectory(entries)) {
                try (Stream<Path> files = Files.list(entries)) {
                    List<Path> found = files.toList();
                    if (!found.isEmpty()) return found;
                }
            }
        }
        return List.of();
    }

    @Test
    void theApplicationsOwnModelsWin() {
        runner.withUserConfiguration(OwnModels.class).withPropertyValues("chunkkv.model-path=" + NEEDLE_LM).run(context -> {
            assertThat(context).hasSingleBean(ChatModel.class).doesNotHaveBean(ChunkKvJlamaChatModel.class);
            assertThat(context).hasSingleBean(StreamingChatModel.class).hasSingleBean(ChunkKvJlamaStreamingChatModel.class);
        });
    }

    @Test
    void withoutAModelNothingIsConfigured() {
        runner.withPropertyValues("chunkkv.max-tokens=8").run(context -> assertThat(context)
                .doesNotHaveBean(ChatModel.class).doesNotHaveBean(StreamingChatModel.class));
    }

    @Test
    void aBadPropertyFailsTheContextNamingIt() {
        runner.withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.kv-compression=nosuchpolicy:keep=0.1").run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure())).anyMatch(m -> m.startsWith("kvCompression: "));
        });
        runner.withPropertyValues("chunkkv.model-path=" + NEEDLE_LM, "chunkkv.top-p=1.5").run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure())).anyMatch(m -> m.startsWith("topP must be in (0, 1]"));
        });
    }

    private static List<String> messages(Throwable failure) {
        List<String> messages = new java.util.ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) messages.add(String.valueOf(t.getMessage()));
        return messages;
    }

    /** An application that brings its own blocking model. */
    @Configuration
    static class OwnModels {
        @Bean
        ChatModel ownChatModel() {
            return new ChatModel() {
                @Override
                public ChatResponse doChat(ChatRequest request) {
                    throw new UnsupportedOperationException("not called");
                }
            };
        }
    }
}
