package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.needle.NeedleFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NeedleFormatEvalTest {
    @Test
    void formatsTheRulerTemplateInAChatPrompt() {
        assertEquals("The special magic number for fipub is: 802 586 560 862.", NeedleFormat.needle("fipub", "802 586 560 862"));
        assertEquals("user: ctx\nQuestion: What is the special magic number for apple?\nassistant:", NeedleFormat.prompt("ctx", "apple"));
    }

    @Test
    void extractsTheAnswerValue() {
        assertEquals("802 586 560", NeedleFormat.answer(" 802 586 560\nuser: more"));
        assertEquals("1234567", NeedleFormat.answer(" 1234567."));
        assertEquals("123", NeedleFormat.answer("123"));
        assertEquals("", NeedleFormat.answer("  \n"));
        assertTrue(NeedleFormat.answerComplete(" 1234567\n"));
        assertFalse(NeedleFormat.answerComplete("\n 12345"), "a leading newline does not end the answer");
    }

    @Test
    void drawsDistinctKeysAndSevenDigitValues() {
        Random r = new Random(1);
        List<String> pool = NeedleFormat.keyPool(null);
        List<String> keys = NeedleFormat.keys(r, 4, pool);
        assertEquals(4, keys.stream().distinct().count());
        for (int i = 0; i < 100; i++) assertTrue(NeedleFormat.value(r).matches("[0-9]{3}( [0-9]{3}){2,3}"));
        assertThrows(IllegalArgumentException.class, () -> NeedleFormat.keys(r, 1000, pool));
    }

    @Test
    void keysComeFromTheModelsKeysFile(@TempDir Path dir) throws Exception {
        assertEquals(NeedleFormat.keyPool(null), NeedleFormat.keyPool(dir), "built-in keys without keys.txt");
        Files.write(dir.resolve("keys.txt"), List.of("bakok", "fipub", "mapaz", "rikev", "dasol", "kevum", "lorap", "nobif", ""));
        assertEquals(List.of("bakok", "fipub", "mapaz", "rikev", "dasol", "kevum", "lorap", "nobif"), NeedleFormat.keyPool(dir));
        Files.write(dir.resolve("keys.txt"), List.of("bakok"));
        assertThrows(IllegalArgumentException.class, () -> NeedleFormat.keyPool(dir));
    }

    @Test
    void haystackSplitsIntoSentences() {
        Haystack h = Haystack.of("One two.  Three?\nFour!  Five");
        assertEquals(List.of("One two.", "Three?", "Four!", "Five"), h.sentences());
        assertEquals("One two.", h.sentence(4));
        assertThrows(IllegalArgumentException.class, () -> Haystack.of("single"));
    }
}
