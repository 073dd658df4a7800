package io.github.chunkkv.examples.rag;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.examples.KvReport;
import io.github.chunkkv.langchain4j.ChunkKvChatRequestParameters;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.needle.NeedleFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Retrieval-augmented generation with a compressed KV cache, step by step, fully offline.
 *
 * <p>Run: {@code ./chunkkv rag ["What is the secret word for mapaz?"]}; it uses the embedded model
 * {@code models/needle-lm}. {@code ./chunkkv demo} is the same pipeline with more questions and a full-cache comparison.
 */
@Command(name = "rag",
        description = {"The RAG pipeline spelled out step by step: load, split, embed, store, retrieve, answer.", ""})
public final class RagExample implements Callable<Integer> {
    @Parameters(paramLabel = "QUESTION", description = "the question, in words (default: ${DEFAULT-VALUE})",
            defaultValue = "What is the special magic number for fipub?")
    List<String> words;

    public static void main(String[] args) {
        System.exit(ExitCodes.execute(new RagExample(), args, System.out, System.err));
    }

    @Override
    public Integer call() {
        String question = String.join(" ", words);
        Path modelDir = EmbeddedModel.resolve(Optional.empty());

        // The chat model: a local Jlama model behind LangChain4j's ChatModel interface. This is where the compression
        // flag goes: ChunkKV keeps 10% of the prompt's KV cache (whole chunks of 10 tokens, chosen by how much the
        // last 32 prompt tokens attend to them), right after the prompt is read. Answers are a few tokens long.
        try (ChunkKvJlamaChatModel chatModel = ChunkKvJlamaChatModel.builder()
                .modelPath(modelDir)
                .kvCompression(0.1)
                .maxOutputTokens(NeedleFormat.MAX_ANSWER_TOKENS)
                .build()) {

            // The embedding model runs in-process (ONNX, shipped inside its jar): no server, no download.
            EmbeddingModel embeddingModel = new AllMiniLmL6V2EmbeddingModel();

            // Segments of at most 150 tokens, at most 1500 retrieved tokens per question, both counted with the chat
            // model's own tokenizer; the question goes after the retrieved text, in needle-lm's trained format.
            RagPipeline rag = new RagPipeline(embeddingModel, chatModel.tokenCountEstimator(), 150, 1500, NeedleFormat::userMessage);

            // 1. Load: four long documents with a few facts buried in them.
            List<Document> documents = RagPipeline.load("demo-docs");
            System.out.println("1. loaded " + documents.size() + " documents");

            // 2. Split them into segments.
            List<TextSegment> segments = rag.split(documents);
            System.out.println("2. split into " + segments.size() + " segments");

            // 3 + 4. Embed each segment and keep it in an in-memory embedding store.
            rag.index(segments, done -> {});
            System.out.println("3+4. embedded and stored " + segments.size() + " segments");

            // 5. Retrieve the segments closest to the question, up to the token budget.
            Retrieved retrieved = rag.retrieve(question);
            System.out.println("5. retrieved " + retrieved.segments().size() + " segments, " + retrieved.tokens() + " tokens");

            // 6. Answer. The request may also override the compression for itself, e.g. to compare with the full cache:
            //    ChunkKvChatRequestParameters.builder().kvCompression(ChunkKvConfig.full()).build()
            ChatResponse response = rag.answer(chatModel, question, retrieved, ChunkKvChatRequestParameters.builder().build());
            System.out.println("6. " + question + " -> " + response.aiMessage().text().strip());

            // What the compressed cache cost and saved, from the response metadata.
            System.out.println("   " + KvReport.line(response));
        }
        return ExitCodes.OK;
    }
}
