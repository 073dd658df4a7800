package io.github.chunkkv.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.examples.TestModels.Console;
import io.github.chunkkv.examples.rag.RagPipeline;
import io.github.chunkkv.examples.rag.Retrieved;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.needle.NeedleFormat.Fact;
import io.github.chunkkv.needle.NeedleFormat;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo on the embedded model needle-lm: retrieval finds every answer, and the full cache answers correctly. */
class DemoNeedleLmTest {
    @Test
    void retrievalPutsEveryFactIntoItsQuestionsContext() {
        Path model = TestModels.needleLm();
        List<Document> documents = RagPipeline.load(DemoApp.DOCUMENTS);
        try (ChunkKvJlamaChatModel chatModel = ChunkKvJlamaChatModel.builder().modelPath(model).build()) {
            RagPipeline rag = new RagPipeline(new AllMiniLmL6V2EmbeddingModel(), chatModel.tokenCountEstimator(),
                    DemoApp.SEGMENT_TOKENS, DemoApp.DEFAULT_CONTEXT_TOKENS, NeedleFormat::userMessage);
            rag.index(rag.split(documents), done -> {});
            for (Fact fact : documents.stream().flatMap(d -> NeedleFormat.findFacts(d.text()).stream()).toList()) {
                Retrieved retrieved = rag.retrieve(fact.question());
                assertTrue(retrieved.contains(fact.statement()), fact.question());
                assertTrue(retrieved.tokens() > DemoApp.DEFAULT_CONTEXT_TOKENS * 0.8, "a long context: " + retrieved.tokens());
            }
        }
    }

    @Test
    void fullCacheAnswersAShortenedQuestionSet() {
        Path model = TestModels.needleLm();
        Console console = new Console();
        // Two questions and 1000 retrieved tokens instead of 1500 keep the four prefills short.
        int code = DemoApp.run(new String[] {"--model", model.toString(), "--context-tokens", "1000",
                "--question", DemoApp.DEFAULT_QUESTIONS.get(0), "--question", DemoApp.DEFAULT_QUESTIONS.get(1)}, console.out, console.err);

        assertEquals(ExitCodes.OK, code, console.err());
        String out = console.out();
        assertEquals(4, out.split("\\(the answer is in them\\)", -1).length - 1, out);
        assertTrue(out.matches("(?s).*\ndemo policy=chunkkv keep=0\\.1 correct=[0-2] total=2 kv_bytes=\\d+ kv_bytes_full=\\d+ decode_ms_per_token=[0-9.]+\n.*"), out);
        assertTrue(out.matches("(?s).*\ndemo policy=full keep=1\\.0 correct=2 total=2 kv_bytes=\\d+ kv_bytes_full=\\d+ decode_ms_per_token=[0-9.]+\n.*"), out);
    }
}
