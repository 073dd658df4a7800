package io.github.chunkkv.policy;

import static io.github.chunkkv.policy.PoliciesTest.select;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.ChunkKvConfig;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every registered policy keeps, built-in or not: the cases are read from the registry, so a new
 * policy is checked as soon as its registry line exists.
 */
class PolicyContractTest {
    private static final int LAYERS = 6;
    private static final String[] SIZES = {"keep=0.05", "keep=0.3", "budget=40", "budget=100"};
    private static final int[] LENGTHS = {17, 24, 60, 131, 257};

    static List<String> registered() {
        return PolicyRegistry.names();
    }

    private static int[] all(int n) {
        return IntStream.range(0, n).toArray();
    }

    @ParameterizedTest
    @MethodSource("registered")
    void keepRatioOneIsANoOp(String policy) {
        CompressionPolicy p = PolicyRegistry.create(ChunkKvConfig.builder(policy).keepRatio(1.0).build(), LAYERS);
        for (int n : new int[] {0, 1, 50, 300}) {
            assertEquals(0, p.observedQueries(0, n));
            assertArrayEquals(all(n), p.select(0, Layers.random(n, 0, n)));
        }
    }

    @ParameterizedTest
    @MethodSource("registered")
    void keptSlotsAreAscendingUniqueInRangeAndIncludeTheWindow(String policy) {
        for (String size : SIZES) {
            ChunkKvConfig config = ChunkKvConfig.parse(policy + ":" + size + ",window=16,chunk=7,reuse=1");
            CompressionPolicy p = PolicyRegistry.create(config, LAYERS);
            for (int n : LENGTHS) {
                for (int layer = 0; layer < LAYERS; layer++) {
                    int[] kept = select(p, layer, n);
                    for (int i = 1; i < kept.length; i++) assertTrue(kept[i - 1] < kept[i], config + " n=" + n + ": not ascending");
                    assertTrue(kept.length == 0 || (kept[0] >= 0 && kept[kept.length - 1] < n), config + ": out of range");
                    int w = Math.min(16, n);
                    assertArrayEquals(IntStream.range(n - w, n).toArray(), Arrays.copyOfRange(kept, kept.length - w, kept.length),
                            config + " n=" + n + ": window not kept");
                }
            }
        }
    }

    /** Per-layer budgets may differ (PyramidKV), so the promise is on the whole model: at most layers × budget rows. */
    @ParameterizedTest
    @MethodSource("registered")
    void aTokenBudgetBoundsTheCache(String policy) {
        for (int budget : new int[] {16, 40, 100}) {
            ChunkKvConfig config = ChunkKvConfig.parse(policy + ":budget=" + budget + ",window=16,chunk=7");
            CompressionPolicy p = PolicyRegistry.create(config, LAYERS);
            for (int n : LENGTHS) {
                int total = 0;
                for (int layer = 0; layer < LAYERS; layer++) total += select(p, layer, n).length;
                int bound = config.isFull() ? LAYERS * n : LAYERS * Math.min(n, budget);
                assertTrue(total <= bound, config + " n=" + n + ": " + total + " rows kept, bound " + bound);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("registered")
    void cachesWithinTheBudgetAreKeptWhole(String policy) {
        // 95 positions outside the window would make chunkkv's floor((B - w) / c) drop the partial chunk.
        CompressionPolicy p = PolicyRegistry.create(ChunkKvConfig.builder(policy).budget(127).build(), LAYERS);
        assertEquals(0, p.observedQueries(0, 127));
        assertArrayEquals(all(127), p.select(0, Layers.random(127, 0, 1)));
    }

    @ParameterizedTest
    @MethodSource("registered")
    void selectionIsDeterministic(String policy) {
        ChunkKvConfig config = ChunkKvConfig.parse(policy + ":keep=0.2,window=16,chunk=7");
        CompressionPolicy a = PolicyRegistry.create(config, LAYERS), b = PolicyRegistry.create(config, LAYERS);
        for (int layer = 0; layer < LAYERS; layer++) {
            assertArrayEquals(select(a, layer, 200), select(b, layer, 200), config + " layer " + layer);
            assertArrayEquals(select(a, layer, 200), select(a, layer, 200), config + " layer " + layer + " again");
        }
    }

    @ParameterizedTest
    @MethodSource("registered")
    void reuseMakesLayersOfAGroupShareTheirSource(String policy) {
        CompressionPolicy p = PolicyRegistry.create(ChunkKvConfig.builder(policy).keepRatio(0.2).reuseInterval(3).build(), 8);
        int[] expected = {0, 0, 0, 3, 3, 3, 6, 6};
        for (int layer = 0; layer < 8; layer++) {
            assertEquals(expected[layer], p.indexSource(layer), policy + " layer " + layer);
            if (expected[layer] != layer) assertEquals(0, p.observedQueries(layer, 500), policy + " layer " + layer + " reuses");
        }
    }
}
