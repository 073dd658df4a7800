package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.jlama.GenerationResult;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The template's separator leaves the reply's start, streamed or not, and is found from the template itself. */
class ReplyTextTest {
    private static List<String> stream(String separator, List<String> pieces, List<String> finalText) {
        List<String> out = new ArrayList<>();
        ReplyText reply = new ReplyText(separator, out::add);
        pieces.forEach(reply::accept);
        finalText.add(reply.finish(result(String.join("", pieces))));
        return out;
    }

    private static GenerationResult result(String text) {
        return new GenerationResult(text, text, GenerationResult.StopReason.END_OF_SEQUENCE, 1, 1, 0, null, 0, 0, 0);
    }

    @Test
    void theSeparatorIsDroppedOnceAndStreamedTextEqualsTheFinalText() {
        record Case(String separator, List<String> pieces, String expected) {}
        for (Case c : List.of(
                new Case(" ", List.of(" 417", " 802"), "417 802"),
                new Case(" ", List.of(" ", " 417"), " 417"), // only one separator goes
                new Case(" ", List.of("417 "), "417 "),
                new Case("\n\n", List.of("\n", "\nhi", "!"), "hi!"),
                new Case("\n\n", List.of("\n", "x"), "\nx"),
                new Case("\n\n", List.of("\n"), "\n"), // shorter than the separator: kept
                new Case("", List.of(" a"), " a"),
                new Case(" ", List.of(), ""))) {
            List<String> finalText = new ArrayList<>();
            List<String> streamed = stream(c.separator(), c.pieces(), finalText);
            assertEquals(c.expected(), finalText.get(0), c.toString());
            assertEquals(c.expected(), String.join("", streamed), c.toString());
            assertEquals(streamed.stream().filter(String::isEmpty).count(), 0L, "no empty pieces: " + streamed);
        }
    }

    @Test
    void theSeparatorIsWhatTheHistoryPutsAfterTheGenerationCue(@TempDir Path dir) {
        assertEquals(" ", separatorOf(Path.of(System.getProperty("chunkkv.repo.dir", "..")).resolve("models/needle-lm")));
        assertEquals("", separatorOf(TinyChatModels.llama(dir)), "the cue 'assistant: ' already ends with it");
        assertEquals(" ", separatorOf(TinyChatModels.llamaWithoutTemplate(dir)), "the plain transcript");
    }

    private static String separatorOf(Path folder) {
        try (AbstractModel model = TinyModels.load(folder)) {
            return JlamaEngine.rendererFor(model).assistantContentSeparator();
        }
    }
}
