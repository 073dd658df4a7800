package io.github.chunkkv.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The score-free selectors and the reuse schedule. */
class SelectorsTest {

    @Test
    void streamingKeepsSinksAndTheMostRecentTokens() {
        int[] kept = new RecentSelector(8, 4, (layer, n) -> 10).select(null, 100, 0);
        int[] expected = IntStream.concat(IntStream.range(0, 4), IntStream.range(86, 100)).toArray();
        assertArrayEquals(expected, kept);
    }

    @Test
    void streamingSinksGiveWayToTheWindow() {
        assertArrayEquals(IntStream.range(92, 100).toArray(), new RecentSelector(8, 4, (layer, n) -> 0).select(null, 100, 0));
        int[] twoSinks = new RecentSelector(8, 4, (layer, n) -> 2).select(null, 100, 0);
        assertArrayEquals(IntStream.concat(IntStream.range(0, 2), IntStream.range(92, 100)).toArray(), twoSinks);
    }

    @Test
    void streamingWithEverythingBudgetedKeepsEverything() {
        assertArrayEquals(IntStream.range(0, 50).toArray(), new RecentSelector(8, 4, (layer, n) -> n - 8).select(null, 50, 0));
    }

    @Test
    void randomDrawsTheBudgetedCountOutsideTheWindow() {
        RandomSelector r = new RandomSelector(10, 5, (layer, n) -> 25);
        int[] kept = r.select(null, 60, 3);
        assertEquals(35, kept.length);
        for (int i = 0; i < 25; i++) assertTrue(kept[i] < 50, "drawn from outside the window");
        assertArrayEquals(kept, r.select(null, 60, 3));
        assertArrayEquals(IntStream.range(0, 60).toArray(), new RandomSelector(10, 5, (layer, n) -> 50).select(null, 60, 0));
    }

    @Test
    void reuseScheduleGroupsLayers() {
        ReuseSchedule every = new ReuseSchedule(1), pairs = new ReuseSchedule(2);
        for (int l = 0; l < 7; l++) {
            assertEquals(l, every.indexSource(l));
            assertEquals(l - l % 2, pairs.indexSource(l));
            assertEquals(l % 2 == 0, pairs.selects(l));
        }
        assertThrows(IllegalArgumentException.class, () -> new ReuseSchedule(0));
    }
}
