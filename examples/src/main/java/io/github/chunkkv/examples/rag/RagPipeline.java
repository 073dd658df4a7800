package io.github.chunkkv.examples.rag;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.document.DocumentSplitter;
import dev.langchain4j.data.document.loader.ClassPathDocumentLoader;
import dev.langchain4j.data.document.parser.TextDocumentParser;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * A plain retrieval-augmented generation pipeline, one method per step: load, split, embed and store (index),
 * retrieve, answer. Nothing in it is specific to ChunkKV: the KV-cache compression is a property of the chat model,
 * or of a single request's parameters, passed to {@link #answer}.
 *
 * <p>Retrieval is sized in the chat model's own tokens: the best-matching segments are taken until
 * {@code contextTokens} would be exceeded, then put back in reading order. A long retrieved context is what makes the
 * KV cache large, and what ChunkKV compresses right after the prompt is read.
 */
public final class RagPipeline {
    /** Segments are embedded in batches of this size so that progress can be reported between batches. */
    private static final int EMBEDDING_BATCH = 8;

    private final EmbeddingModel embeddingModel;
    private final TokenCountEstimator tokenizer;
    private final DocumentSplitter splitter;
    private final int contextTokens;
    private final QuestionPrompt prompt;
    private final EmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
    /** Position of each stored segment in the split order, by embedding id: the reading order of retrieved text. */
    private final Map<String, Integer> readingOrder = new HashMap<>();

    /**
     * @param embeddingModel embeds segments and questions, e.g. the in-process all-MiniLM-L6-v2
     * @param tokenizer counts tokens the way the chat model will, e.g. {@code ChunkKvJlamaChatModel.tokenCountEstimator()}
     * @param segmentTokens the largest segment, in tokens
     * @param contextTokens the most retrieved text per question, in tokens
     * @param prompt how passages and question become the user message
     */
    public RagPipeline(EmbeddingModel embeddingModel, TokenCountEstimator tokenizer, int segmentTokens, int contextTokens,
            QuestionPrompt prompt) {
        if (segmentTokens < 1) throw new IllegalArgumentException("segmentTokens must be >= 1, got " + segmentTokens);
        if (contextTokens < segmentTokens) {
            throw new IllegalArgumentException("contextTokens must be >= segmentTokens (" + segmentTokens + "), got " + contextTokens);
        }
        this.embeddingModel = embeddingModel;
        this.tokenizer = tokenizer;
        // Paragraphs first, then lines, sentences and words: a segment never cuts a sentence unless one is longer
        // than a whole segment, so a fact stated in one sentence stays in one segment.
        this.splitter = DocumentSplitters.recursive(segmentTokens, 0, tokenizer);
        this.contextTokens = contextTokens;
        this.prompt = prompt;
    }

    /** Step 1, load: every text file in a classpath folder, one {@link Document} each (file name in its metadata). */
    public static List<Document> load(String classpathFolder) {
        return ClassPathDocumentLoader.loadDocuments(classpathFolder, new TextDocumentParser()).stream()
                .sorted(Comparator.comparing(d -> String.valueOf(d.metadata().getString(Document.FILE_NAME))))
                .toList();
    }

    /** Step 2, split: documents into segments of at most {@code segmentTokens} tokens. */
    public List<TextSegment> split(List<Document> documents) {
        return splitter.splitAll(documents);
    }

    /** Steps 3 and 4, embed and store; {@code onEmbedded} hears how many more segments were done after each batch. */
    public void index(List<TextSegment> segments, IntConsumer onEmbedded) {
        for (int from = 0; from < segments.size(); from += EMBEDDING_BATCH) {
            List<TextSegment> batch = segments.subList(from, Math.min(segments.size(), from + EMBEDDING_BATCH));
            List<Embedding> embeddings = embeddingModel.embedAll(batch).content();
            List<String> ids = store.addAll(embeddings, batch);
            for (int i = 0; i < ids.size(); i++) readingOrder.put(ids.get(i), from + i);
            onEmbedded.accept(batch.size());
        }
    }

    /** Step 5, retrieve: the segments most similar to the question that fit {@code contextTokens}, in reading order. */
    public Retrieved retrieve(String question) {
        if (readingOrder.isEmpty()) throw new IllegalStateException("nothing is indexed yet: call index(...) before retrieve(...)");
        Embedding query = embeddingModel.embed(question).content();
        List<EmbeddingMatch<TextSegment>> ranked = store.search(EmbeddingSearchRequest.builder()
                .queryEmbedding(query).maxResults(readingOrder.size()).minScore(0.0).build()).matches();
        List<EmbeddingMatch<TextSegment>> chosen = new ArrayList<>();
        int tokens = 0;
        for (EmbeddingMatch<TextSegment> match : ranked) {
            int length = tokenizer.estimateTokenCountInText(match.embedded().text());
            if (tokens + length > contextTokens) continue; // a shorter, lower-ranked segment may still fit
            chosen.add(match);
            tokens += length;
        }
        chosen.sort(Comparator.comparing(m -> readingOrder.get(m.embeddingId())));
        return new Retrieved(chosen.stream().map(EmbeddingMatch::embedded).toList(), tokens);
    }

    /**
     * Step 6, answer: one chat request with the retrieved passages and the question. {@code parameters} may carry the
     * KV compression for this request ({@code ChunkKvChatRequestParameters.builder().kvCompression(...)}); without it
     * the chat model's own setting applies.
     */
    public ChatResponse answer(ChatModel chatModel, String question, Retrieved retrieved, ChatRequestParameters parameters) {
        UserMessage message = UserMessage.from(prompt.userMessage(retrieved.passages(), question));
        return chatModel.chat(ChatRequest.builder().messages(message).parameters(parameters).build());
    }
}
