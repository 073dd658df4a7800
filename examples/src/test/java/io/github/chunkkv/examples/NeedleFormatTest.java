package io.github.chunkkv.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.document.Document;
import io.github.chunkkv.examples.rag.RagPipeline;
import io.github.chunkkv.needle.NeedleFormat.Fact;
import io.github.chunkkv.needle.NeedleFormat.FactKind;
import io.github.chunkkv.needle.NeedleFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NeedleFormatTest {
    private static final List<Fact> BUNDLED = RagPipeline.load(DemoApp.DOCUMENTS).stream()
            .map(Document::text).flatMap(t -> NeedleFormat.findFacts(t).stream()).toList();

    @Test
    void statesAndFindsEveryKindOfFact() {
        String text = "And he went. " + FactKind.MAGIC_NUMBER.statement("fipub", "802 586 560 862") + " Then "
                + FactKind.SECRET_WORD.statement("mapaz", "wheels") + " " + FactKind.ROOM_NUMBER.statement("rikev", "795 786") + " Amen.";
        assertEquals(List.of(new Fact(FactKind.MAGIC_NUMBER, "fipub", "802 586 560 862"),
                new Fact(FactKind.SECRET_WORD, "mapaz", "wheels"),
                new Fact(FactKind.ROOM_NUMBER, "rikev", "795 786")), NeedleFormat.findFacts(text));
    }

    @Test
    void questionsMatchTheirFactOnly() {
        Fact fact = new Fact(FactKind.SECRET_WORD, "mapaz", "wheels");
        assertEquals("What is the secret word for mapaz?", fact.question());
        assertEquals(Optional.of(fact), NeedleFormat.parseQuestion(" What is the secret word for mapaz? ", List.of(fact)));
        assertEquals(Optional.empty(), NeedleFormat.parseQuestion("What is the room number of mapaz?", List.of(fact)));
        assertEquals(Optional.empty(), NeedleFormat.parseQuestion("Who wrote this?", List.of(fact)));
    }

    @Test
    void userMessageIsContextThenQuestionWithSingleSpaces() {
        assertEquals("First part. Second part? Yea.\nQuestion: What is the secret word for mapaz?",
                NeedleFormat.userMessage(List.of("First part.\n\n", " Second\npart?  Yea."), " What is the secret word for mapaz?"));
    }

    @Test
    void answersAreComparedWithoutTheLeadingSpace() {
        Fact fact = new Fact(FactKind.ROOM_NUMBER, "rikev", "795 786");
        assertTrue(NeedleFormat.isCorrect(" 795 786", fact));
        assertFalse(NeedleFormat.isCorrect(" 795 787", fact));
        assertFalse(NeedleFormat.isCorrect(null, fact));
    }

    @Test
    void bundledDocumentsHoldTenDistinctFactsAndTheDefaultQuestionsAskForThem() {
        assertEquals(10, BUNDLED.size());
        assertEquals(10, new HashSet<>(BUNDLED.stream().map(Fact::key).toList()).size(), "keys within one collection are distinct");
        for (String q : DemoApp.DEFAULT_QUESTIONS) assertTrue(NeedleFormat.parseQuestion(q, BUNDLED).isPresent(), q);
        assertEquals(Set.copyOf(BUNDLED.stream().map(Fact::question).toList()), Set.copyOf(DemoApp.DEFAULT_QUESTIONS),
                "the default questions ask for every fact");
        assertEquals(BUNDLED.size(), DemoApp.DEFAULT_QUESTIONS.size(), "each fact once");
    }

    /** The facts use keys and words needle-lm was trained on (listed beside it); other keys are out of distribution. */
    @Test
    void bundledFactsAreInTheEmbeddedModelsVocabulary() throws IOException {
        Path model = TestModels.needleLm();
        Set<String> keys = Set.copyOf(Files.readAllLines(model.resolve("keys.txt")));
        Set<String> words = Set.copyOf(Files.readAllLines(model.resolve("words.txt")));
        for (Fact f : BUNDLED) {
            assertTrue(keys.contains(f.key()), "key " + f.key() + " is in keys.txt");
            if (f.kind() == FactKind.SECRET_WORD) assertTrue(words.contains(f.value()), "word " + f.value() + " is in words.txt");
        }
    }
}
