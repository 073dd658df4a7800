package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopSequenceMatcherTest {
    @Test
    void holdsBackAPossibleStartAndCutsAtTheStop() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of("END"));
        assertEquals("ab", m.append("ab"));
        assertEquals("", m.append("E")); // could be the start of END
        assertEquals("", m.append("N"));
        assertEquals("", m.append("Dxyz"));
        assertTrue(m.stopped());
        assertEquals("ab", m.text());
        assertEquals("", m.flush());
    }

    @Test
    void releasesHeldTextWhenItDoesNotBecomeAStop() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of("END"));
        assertEquals("a", m.append("aE"));
        assertEquals("Ex", m.append("x"));
        assertEquals("", m.append("EN"));
        assertFalse(m.stopped());
        assertEquals("EN", m.flush());
        assertEquals("aExEN", m.text());
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of("cd", "b"));
        assertEquals("a", m.append("abcd"));
        assertEquals("a", m.text());
    }

    @Test
    void withoutStopsEverythingIsReleasedAtOnce() {
        StopSequenceMatcher m = new StopSequenceMatcher(List.of());
        assertEquals("hello", m.append("hello"));
        assertEquals("", m.flush());
    }
}
