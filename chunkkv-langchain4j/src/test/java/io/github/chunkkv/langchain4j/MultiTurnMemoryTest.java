package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.testing.RealModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Chat memory is the multi-turn case: every turn re-sends the history and asks about another fact of the same
 * document. With compression and the default recall, every turn retrieves FullKV's value on needle-lm (one-shot
 * compression retrieves almost none after the first turn). At keep=0.1 a turn's hot set can miss the period that
 * ends a needle, so decoding, which reads hot rows only, may run on after the value: the check is that each answer
 * starts with FullKV's.
 */
class MultiTurnMemoryTest {
    interface Assistant {
        String chat(String message);
    }

    /** The demo's documents, three needle facts each. */
    static final List<Path> DOCUMENTS = List.of(1).stream()
            .map(i -> Path.of(System.getProperty("chunkkv.repo.dir", "."), "examples", "src", "main", "resources", "demo-docs",
                    "gospel-excerpt-" + i + ".txt"))
            .toList();

    @Test
    void threeQuestionsAboutOneDocumentAreAnsweredAsWithTheFullCache() throws IOException {
        Path model = RealModels.needleLm();
        List<String> full = answers(model, null, DOCUMENTS);
        assertEquals(expectedValues(DOCUMENTS), full, "FullKV answers every question");
        assertRetrieves(full, answers(model, 0.1, DOCUMENTS));
    }

    private static void assertRetrieves(List<String> expected, List<String> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(actual.get(i).startsWith(expected.get(i)), "turn " + i + ": expected " + expected.get(i) + ", got " + actual.get(i));
        }
    }

    /** Each document starts a conversation of one turn per fact; returns every answer, in order. */
    static List<String> answers(Path modelDir, Double keep, List<Path> documents) throws IOException {
        var builder = ChunkKvJlamaChatModel.builder().modelPath(modelDir).maxOutputTokens(NeedleFormat.MAX_ANSWER_TOKENS);
        if (keep != null) builder.kvCompression(keep);
        List<String> answers = new ArrayList<>();
        try (ChunkKvJlamaChatModel model = builder.build()) {
            for (Path document : documents) {
                Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
                        .chatMemory(MessageWindowChatMemory.withMaxMessages(20)).build();
                List<NeedleFormat.Fact> facts = NeedleFormat.findFacts(Files.readString(document));
                answers.add(NeedleFormat.answer(assistant.chat(NeedleFormat.userMessage(List.of(Files.readString(document)), facts.get(0).question()))));
                for (NeedleFormat.Fact fact : facts.subList(1, facts.size())) {
                    answers.add(NeedleFormat.answer(assistant.chat("Question: " + fact.question())));
                }
            }
        }
        return answers;
    }

    static List<String> expectedValues(List<Path> documents) throws IOException {
        List<String> values = new ArrayList<>();
        for (Path d : documents) NeedleFormat.findFacts(Files.readString(d)).forEach(f -> values.add(f.value()));
        return values;
    }
}
