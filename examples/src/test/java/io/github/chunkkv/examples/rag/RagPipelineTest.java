package io.github.chunkkv.examples.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.github.chunkkv.examples.TestModels;
import io.github.chunkkv.langchain4j.JlamaTokenCountEstimator;
import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline steps with the real embedding model; a tiny char-level model counts tokens (one per character). */
class RagPipelineTest {
    private static final List<Document> DOCUMENTS = List.of(
            Document.from("The lamp is in the hall. The chair is red.\n\nThe secret word for mapaz is: wheels. Nothing else."),
            Document.from("Fish swim in the sea. Birds fly in the air.\n\nThe room number of rikev is: 795 786. Trees grow."));
    private static EmbeddingModel embeddings;
    private static AbstractModel tiny;
    private static JlamaTokenCountEstimator chars;

    @BeforeAll
    static void load(@TempDir Path dir) {
        embeddings = new AllMiniLmL6V2EmbeddingModel();
        tiny = TinyModels.load(TestModels.tinyLlama(dir));
        chars = new JlamaTokenCountEstimator(tiny);
    }

    @AfterAll
    static void close() {
        tiny.close();
    }

    @Test
    void splitsIntoSegmentsOfAtMostTheGivenTokens() {
        RagPipeline rag = new RagPipeline(embeddings, chars, 50, 100, NeedleFormat::userMessage);
        List<TextSegment> segments = rag.split(DOCUMENTS);
        assertTrue(segments.size() >= 4, segments.toString());
        for (TextSegment s : segments) assertTrue(chars.estimateTokenCountInText(s.text()) <= 50, s.text());
    }

    @Test
    void retrievesTheMatchingSegmentWithinTheBudgetInReadingOrder() {
        RagPipeline rag = new RagPipeline(embeddings, chars, 50, 120, NeedleFormat::userMessage);
        List<TextSegment> segments = rag.split(DOCUMENTS);
        List<Integer> progress = new ArrayList<>();
        rag.index(segments, progress::add);
        assertEquals(segments.size(), progress.stream().mapToInt(Integer::intValue).sum());

        Retrieved retrieved = rag.retrieve("What is the secret word for mapaz?");
        assertTrue(retrieved.contains("The secret word for mapaz is: wheels."), retrieved.passages().toString());
        assertTrue(retrieved.tokens() <= 120 && retrieved.segments().size() >= 2, retrieved.toString());
        assertEquals(retrieved.tokens(), retrieved.passages().stream().mapToInt(chars::estimateTokenCountInText).sum());
        List<Integer> order = retrieved.segments().stream().map(segments::indexOf).toList();
        assertEquals(order.stream().sorted().toList(), order, "reading order");
    }

    @Test
    void badArgumentsAreRejectedBeforeAnyWork() {
        var e = assertThrows(IllegalArgumentException.class, () -> new RagPipeline(embeddings, chars, 0, 100, NeedleFormat::userMessage));
        assertEquals("segmentTokens must be >= 1, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RagPipeline(embeddings, chars, 50, 20, NeedleFormat::userMessage));
        assertEquals("contextTokens must be >= segmentTokens (50), got 20", e.getMessage());
        RagPipeline empty = new RagPipeline(embeddings, chars, 50, 100, NeedleFormat::userMessage);
        assertThrows(IllegalStateException.class, () -> empty.retrieve("anything?"));
    }
}
