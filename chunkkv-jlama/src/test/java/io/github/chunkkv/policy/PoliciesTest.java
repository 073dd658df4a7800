package io.github.chunkkv.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.config.KvPolicy;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The contract every built-in policy keeps, and the kept counts each one promises. */
class PoliciesTest {
    private static final int LAYERS = 6;

    private static int[] select(CompressionPolicy p, int layer, int n) {
        int rows = p.observedQueries(layer, n);
        return p.select(layer, n, rows == 0 ? null : Observations.random(n, rows, 31L * n + layer));
    }

    private static int[] all(int n) {
        return IntStream.range(0, n).toArray();
    }

    @ParameterizedTest
    @EnumSource(KvPolicy.class)
    void keepRatioOneIsANoOp(KvPolicy policy) {
        CompressionPolicy p = Policies.create(ChunkKvConfig.builder(policy).keepRatio(1.0).build(), LAYERS);
        for (int n : new int[] {0, 1, 50, 300}) {
            assertEquals(0, p.observedQueries(0, n));
            assertArrayEquals(all(n), p.select(0, n, null));
        }
    }

    @ParameterizedTest
    @EnumSource(KvPolicy.class)
    void keptSlotsAreAscendingUniqueInRangeAndIncludeTheWindow(KvPolicy policy) {
        for (String size : new String[] {"keep=0.05", "keep=0.3", "budget=40", "budget=100"}) {
            ChunkKvConfig config = ChunkKvConfig.parse(policy.specName() + ":" + size + ",window=16,chunk=7,reuse=1");
            CompressionPolicy p = Policies.create(config, LAYERS);
            for (int n : new int[] {17, 24, 60, 131, 257}) {
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

    @ParameterizedTest
    @ValueSource(strings = {"snapkv", "h2o", "streamingllm", "random", "pyramidkv"})
    void shortCachesAreKeptWhole(String name) {
        CompressionPolicy p = Policies.create(ChunkKvConfig.parse(name + ":keep=0.1,window=16"), LAYERS);
        assertEquals(0, p.observedQueries(0, 16));
        assertArrayEquals(all(16), p.select(0, 16, null));
        assertEquals(17, select(p, 0, 17).length, "one position outside the window is kept (at least one)");
    }

    @Test
    void chunkKvKeepsCachesUpToWindowPlusOneChunk() {
        CompressionPolicy p = Policies.create(ChunkKvConfig.parse("chunkkv:keep=0.1,window=16,chunk=10"), LAYERS);
        assertEquals(0, p.observedQueries(0, 26));
        assertArrayEquals(all(26), p.select(0, 26, null));
        assertEquals(16, p.observedQueries(0, 27));
        assertEquals(16 + 10, select(p, 0, 27).length, "one chunk (the minimum) of the two");
    }

    @ParameterizedTest
    @EnumSource(KvPolicy.class)
    void cachesWithinTheBudgetAreKeptWhole(KvPolicy policy) {
        // 95 positions outside the window would make chunkkv's floor((B - w) / c) drop the partial chunk.
        CompressionPolicy p = Policies.create(ChunkKvConfig.builder(policy).budget(127).build(), LAYERS);
        assertEquals(0, p.observedQueries(0, 127));
        assertArrayEquals(all(127), p.select(0, 127, null));
    }

    @Test
    void chunkKvRatioKeepsMaxOneFloorChunksTimesRatio() {
        // 95 positions outside the window: 9 chunks of 10 and one of 5.
        CompressionPolicy p = Policies.create(ChunkKvConfig.parse("chunkkv:keep=0.35,window=32,chunk=10"), LAYERS);
        for (int layer = 0; layer < LAYERS; layer++) {
            int[] kept = select(p, layer, 127);
            int outside = kept.length - 32;
            // 3 chunks (floor(10 * 0.35)): 30 positions, or 25 when the partial last chunk is among them.
            assertTrue(outside == 30 || outside == 25, "kept " + outside);
            assertWholeChunks(kept, 127 - 32, 10);
        }
    }

    @Test
    void chunkKvBudgetKeepsFloorBudgetMinusWindowOverChunkChunks() {
        CompressionPolicy p = Policies.create(ChunkKvConfig.parse("chunkkv:budget=64,window=32,chunk=10"), LAYERS);
        int[] kept = select(p, 0, 532); // 500 positions outside, all chunks full
        assertEquals(32 + 30, kept.length, "floor((64 - 32) / 10) = 3 chunks");
        assertWholeChunks(kept, 500, 10);
    }

    private static void assertWholeChunks(int[] kept, int outside, int chunk) {
        boolean[] in = new boolean[outside];
        for (int s : kept) if (s < outside) in[s] = true;
        for (int c = 0; c < outside; c += chunk) {
            int count = 0, end = Math.min(outside, c + chunk);
            for (int s = c; s < end; s++) if (in[s]) count++;
            assertTrue(count == 0 || count == end - c, "chunk at " + c + " kept partly");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"snapkv", "h2o", "streamingllm", "random"})
    void tokenPoliciesKeepKeptOutsideWindowPlusWindow(String name) {
        for (String size : new String[] {"keep=0.1", "keep=0.5", "budget=48", "budget=1000"}) {
            ChunkKvConfig config = ChunkKvConfig.parse(name + ":" + size + ",window=16");
            CompressionPolicy p = Policies.create(config, LAYERS);
            for (int n : new int[] {40, 200}) {
                assertEquals(config.keptOutsideWindow(n) + 16, select(p, 1, n).length, config + " n=" + n);
            }
        }
    }

    @Test
    void pyramidKvKeepsTheUniformTotalOverLayersFallingWithDepth() {
        ChunkKvConfig config = ChunkKvConfig.parse("pyramidkv:keep=0.2,window=16");
        CompressionPolicy p = Policies.create(config, LAYERS);
        int n = 400, total = 0, previous = Integer.MAX_VALUE;
        for (int layer = 0; layer < LAYERS; layer++) {
            int kept = select(p, layer, n).length;
            assertTrue(kept <= previous, "layer " + layer + " keeps more than the one below");
            previous = kept;
            total += kept;
        }
        assertEquals(LAYERS * (config.keptOutsideWindow(n) + 16), total);
        assertTrue(select(p, 0, n).length > select(p, LAYERS - 1, n).length);
    }

    @Test
    void tiesKeepTheLowerIndices() {
        float[] flat = new float[100];
        Arrays.fill(flat, 0.25f); // exact in float, so chunk means tie exactly too
        AttentionObservation obs = Observations.planted(flat);
        int[] snap = Policies.create(ChunkKvConfig.parse("snapkv:budget=26,window=16,pool=1"), 1).select(0, 100, obs);
        assertArrayEquals(IntStream.concat(IntStream.range(0, 10), IntStream.range(84, 100)).toArray(), snap);
        int[] chunk = Policies.create(ChunkKvConfig.parse("chunkkv:budget=36,window=16,chunk=10,pool=1"), 1).select(0, 100, obs);
        assertArrayEquals(IntStream.concat(IntStream.range(0, 20), IntStream.range(84, 100)).toArray(), chunk);
    }

    @Test
    void chunkKvKeepsAPlantedSpanWholeWhereTokenSelectionFragmentsIt() {
        float[] sums = new float[200];
        Arrays.fill(sums, 0.001f);
        for (int s = 40; s < 50; s++) sums[s] = 0.5f; // the span that matters
        for (int s : new int[] {5, 17, 63, 88, 101, 120, 150}) sums[s] = 0.9f; // isolated spikes
        AttentionObservation obs = Observations.planted(sums);
        int[] chunk = Policies.create(ChunkKvConfig.parse("chunkkv:budget=42,window=32,chunk=10,pool=1"), 1).select(0, 200, obs);
        assertArrayEquals(IntStream.concat(IntStream.range(40, 50), IntStream.range(168, 200)).toArray(), chunk);
        int[] token = Policies.create(ChunkKvConfig.parse("snapkv:budget=42,window=32,pool=1"), 1).select(0, 200, obs);
        long spanKept = Arrays.stream(token).filter(s -> s >= 40 && s < 50).count();
        assertEquals(3, spanKept, "7 spikes take 7 of the 10 slots: the span is cut to a fragment");
    }

    @Test
    void reuseMakesLayersOfAGroupShareTheirSource() {
        for (KvPolicy policy : KvPolicy.values()) {
            CompressionPolicy p = Policies.create(ChunkKvConfig.builder(policy).keepRatio(0.2).reuseInterval(3).build(), 8);
            int[] expected = {0, 0, 0, 3, 3, 3, 6, 6};
            for (int layer = 0; layer < 8; layer++) {
                assertEquals(expected[layer], p.indexSource(layer), policy + " layer " + layer);
                if (expected[layer] != layer) assertEquals(0, p.observedQueries(layer, 500), policy + " layer " + layer + " reuses");
            }
        }
    }

    @Test
    void observedQueriesFollowTheScorer() {
        assertEquals(32, Policies.create(ChunkKvConfig.parse("chunkkv:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(32, Policies.create(ChunkKvConfig.parse("snapkv:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(500, Policies.create(ChunkKvConfig.parse("h2o:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(0, Policies.create(ChunkKvConfig.parse("streamingllm:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(0, Policies.create(ChunkKvConfig.parse("random:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(0, Policies.create(ChunkKvConfig.full(), 2).observedQueries(1, 500));
    }

    @Test
    void randomIsReproducibleBySeed() {
        CompressionPolicy a = Policies.create(ChunkKvConfig.parse("random:keep=0.2,seed=7"), 4);
        CompressionPolicy b = Policies.create(ChunkKvConfig.parse("random:keep=0.2,seed=7"), 4);
        CompressionPolicy c = Policies.create(ChunkKvConfig.parse("random:keep=0.2,seed=8"), 4);
        assertArrayEquals(a.select(2, 300, null), b.select(2, 300, null));
        assertFalse(Arrays.equals(a.select(2, 300, null), c.select(2, 300, null)), "another seed draws other tokens");
        assertFalse(Arrays.equals(a.select(1, 300, null), a.select(2, 300, null)), "layers draw independently");
    }

    @Test
    void rejectsBadArguments() {
        CompressionPolicy p = Policies.create(ChunkKvConfig.chunkKv(0.1), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.select(4, 100, null));
        assertTrue(e.getMessage().contains("layer must be in [0, 4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.select(0, 100, null));
        assertTrue(e.getMessage().contains("observation must cover cacheLength = 100"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.select(0, 100, Observations.random(90, 32, 1)));
        assertThrows(IllegalArgumentException.class, () -> p.select(0, -1, null));
        assertThrows(IllegalArgumentException.class, () -> p.observedQueries(-1, 100));
        e = assertThrows(IllegalArgumentException.class, () -> Policies.create(ChunkKvConfig.chunkKv(0.1), 0));
        assertTrue(e.getMessage().contains("numLayers must be >= 1"), e.getMessage());
    }
}
