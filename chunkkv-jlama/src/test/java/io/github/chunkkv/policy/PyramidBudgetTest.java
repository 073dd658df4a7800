package io.github.chunkkv.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.ChunkKvConfig;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** PyramidKV budgets: same total as uniform, never rising with depth, each within [0, n - window]. */
class PyramidBudgetTest {

    private static void assertPyramid(ChunkKvConfig config, int layers, int n) {
        int[] b = new PyramidBudget(config, layers).perLayer(n);
        String what = config + " layers=" + layers + " n=" + n + " " + Arrays.toString(b);
        assertEquals((long) layers * config.keptOutsideWindow(n), Arrays.stream(b).asLongStream().sum(), what);
        for (int l = 0; l < layers; l++) {
            assertTrue(b[l] >= 0 && b[l] <= n - config.window(), what);
            if (l > 0) assertTrue(b[l] <= b[l - 1], what);
        }
    }

    @Test
    void keepsTheUniformTotalAndFallsWithDepth() {
        for (String spec : new String[] {"pyramidkv:keep=0.1", "pyramidkv:keep=0.5", "pyramidkv:keep=0.9", "pyramidkv:keep=0.01",
                "pyramidkv:budget=128", "pyramidkv:budget=32", "pyramidkv:budget=33", "pyramidkv:budget=2000"}) {
            ChunkKvConfig config = ChunkKvConfig.parse(spec);
            for (int layers : new int[] {1, 2, 5, 32, 80}) {
                for (int n : new int[] {33, 100, 1000, 4096}) assertPyramid(config, layers, n);
            }
        }
    }

    @Test
    void followsTheDocumentedFormula() {
        // u = 100 per layer (budget 132, window 32), 5 layers: top = 100 / 20 = 5, bottom = 195, step 47.5;
        // floors 195, 147, 100, 52, 5 sum to 499, so the first layer takes the one left over.
        int[] b = new PyramidBudget(ChunkKvConfig.parse("pyramidkv:budget=132"), 5).perLayer(1000);
        assertArrayEquals(new int[] {196, 147, 100, 52, 5}, b);
    }

    @Test
    void clipsAtTheCacheAndShiftsTheRestUpward() {
        // u = 90 of cap 100: bottom would be 176, so bottom = 100 and top = 80.
        int[] b = new PyramidBudget(ChunkKvConfig.parse("pyramidkv:keep=0.9,window=32"), 3).perLayer(132);
        assertArrayEquals(new int[] {100, 90, 80}, b);
    }
}
