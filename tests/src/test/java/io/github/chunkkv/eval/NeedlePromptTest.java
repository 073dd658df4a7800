package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NeedlePromptTest {
    @Test
    void formatsTheRulerTemplateInAChatPrompt() {
        assertEquals("The special magic number for apple is: 1234567.", NeedlePrompt.needle("apple", "1234567"));
        assertEquals("user: ctx\nQuestion: What is the special magic number for apple?\nassistant:", NeedlePrompt.prompt("ctx", "apple"));
    }

    @Test
    void extractsTheAnswerValue() {
        assertEquals("1234567", NeedlePrompt.answer(" 1234567\nuser: more"));
        assertEquals("1234567", NeedlePrompt.answer(" 1234567."));
        assertEquals("123", NeedlePrompt.answer("123"));
        assertEquals("", NeedlePrompt.answer("  \n"));
        assertTrue(NeedlePrompt.answerComplete(" 1234567\n"));
        assertFalse(NeedlePrompt.answerComplete("\n 12345"), "a leading newline does not end the answer");
    }

    @Test
    void drawsDistinctKeysAndSevenDigitValues() {
        Random r = new Random(1);
        List<String> keys = NeedlePrompt.keys(r, 4);
        assertEquals(4, keys.stream().distinct().count());
        for (int i = 0; i < 100; i++) assertTrue(NeedlePrompt.value(r).matches("[1-9][0-9]{6}"));
        assertThrows(IllegalArgumentException.class, () -> NeedlePrompt.keys(r, 1000));
    }

    @Test
    void haystackSplitsIntoSentences() {
        Haystack h = Haystack.of("One two.  Three?\nFour!  Five");
        assertEquals(List.of("One two.", "Three?", "Four!", "Five"), h.sentences());
        assertEquals("One two.", h.sentence(4));
        assertThrows(IllegalArgumentException.class, () -> Haystack.of("single"));
    }
}
