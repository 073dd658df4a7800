package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.input.PromptTemplate;
import dev.langchain4j.rag.DefaultRetrievalAugmentor;
import dev.langchain4j.rag.content.injector.DefaultContentInjector;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.store.embedding.EmbeddingStoreIngestor;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.langchain4j.ChunkKvJlamaStreamingChatModel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a user's application does with the published artifacts: AiServices, chat memory, RAG, streaming. */
class AppTest {
    private static final Path NEEDLE_LM = Path.of(System.getProperty("needle.dir"));
    private static final String FACTS = "The secret word for mapaz is: wheels. And they went their way.";

    interface Assistant {
        String chat(String message);
    }

    interface StreamingAssistant {
        TokenStream chat(String message);
    }

    @Test
    void aiServicesWithMemoryAndRetrievalAnswerBlockingAndStreaming() throws Exception {
        var embeddings = new AllMiniLmL6V2EmbeddingModel();
        var store = new InMemoryEmbeddingStore<TextSegment>();
        EmbeddingStoreIngestor.builder().embeddingModel(embeddings).embeddingStore(store).build()
                .ingest(List.of(Document.from(FACTS), Document.from("And the river ran by the hills of the north.")));
        var retriever = EmbeddingStoreContentRetriever.builder().embeddingModel(embeddings).embeddingStore(store).maxResults(1).build();
        // needle-lm reads a document followed by "Question: ..."
        var augmentor = DefaultRetrievalAugmentor.builder().contentRetriever(retriever)
                .contentInjector(DefaultContentInjector.builder().promptTemplate(PromptTemplate.from("{{contents}}\nQuestion: {{userMessage}}")).build())
                .build();

        try (var model = ChunkKvJlamaChatModel.builder().modelPath(NEEDLE_LM).kvCompression(0.5).maxTokens(8).build();
                var streaming = ChunkKvJlamaStreamingChatModel.builder().modelPath(NEEDLE_LM).kvCompression(0.5).maxTokens(8).build()) {
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).retrievalAugmentor(augmentor)
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(10)).build();
            String answer = assistant.chat("What is the secret word for mapaz?");
            assertTrue(answer.contains("wheels"), answer);

            StreamingAssistant streamingAssistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(streaming)
                    .retrievalAugmentor(augmentor).chatMemory(MessageWindowChatMemory.withMaxMessages(10)).build();
            StringBuilder partials = new StringBuilder();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            streamingAssistant.chat("What is the secret word for mapaz?")
                    .onPartialResponse(partials::append)
                    .onCompleteResponse(done::complete)
                    .onError(done::completeExceptionally)
                    .start();
            ChatResponse response = done.get(2, TimeUnit.MINUTES);
            assertEquals(answer, response.aiMessage().text());
            assertEquals(answer, partials.toString());
        }
    }
}
