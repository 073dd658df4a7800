package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The boundary study's arithmetic: finding the value in the prompt, splitting outcomes, Wilson intervals. */
class BoundaryStudyTest {

    @Test
    void findsTheFirstOccurrenceFromTheGivenToken() {
        int[] tokens = {5, 7, 8, 1, 7, 8, 9};
        assertEquals(1, BoundaryStudy.indexOf(tokens, new int[] {7, 8}, 0));
        assertEquals(4, BoundaryStudy.indexOf(tokens, new int[] {7, 8}, 2));
        assertEquals(-1, BoundaryStudy.indexOf(tokens, new int[] {8, 9, 3}, 0));
    }

    @Test
    void splitsOutcomesByCrossing() {
        NiahCase c = new NiahCase(NiahTask.SINGLE, 64, 0.5, 0, "k", "1", new int[0], 0);
        List<NiahEval.Outcome> outcomes = List.of(new NiahEval.Outcome(c, "1", "1", true), new NiahEval.Outcome(c, "2", "2", false),
                new NiahEval.Outcome(c, "1", "1", true), new NiahEval.Outcome(c, "1", "1", true));
        assertEquals(new BoundaryStudy.Split("p", 1, 2, 2, 2), BoundaryStudy.split("p", outcomes, new boolean[] {true, true, false, false}));
    }

    @Test
    void cellsCarryTheWilsonInterval() {
        assertEquals("5/10 = 0.50 [0.24, 0.76]", BoundaryStudy.cell(5, 10));
        assertEquals("0/10 = 0.00 [0.00, 0.28]", BoundaryStudy.cell(0, 10));
        assertEquals("10/10 = 1.00 [0.72, 1.00]", BoundaryStudy.cell(10, 10));
        assertEquals("–", BoundaryStudy.cell(0, 0));
    }
}
