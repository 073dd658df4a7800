package io.github.chunkkv.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.chunkkv.examples.TestModels.Console;
import org.junit.jupiter.api.Test;

/** Fast steps stay silent (slow ones print, but tests do not wait for the clock). */
class ProgressTest {
    @Test
    void quickWorkPrintsNothingAndReturnsItsResult() {
        Console console = new Console();
        try (Progress progress = new Progress(console.err)) {
            assertEquals(42, progress.during("computing", () -> 42));
            try (Progress.Bar bar = progress.bar("embedding", 3)) {
                bar.advance(1);
                bar.advance(2);
            }
        }
        assertEquals("", console.err());
    }

    @Test
    void failuresPassThrough() {
        try (Progress progress = new Progress(new Console().err)) {
            assertThrows(IllegalStateException.class, () -> progress.during("failing", () -> {
                throw new IllegalStateException("boom");
            }));
        }
    }
}
