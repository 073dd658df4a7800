package io.github.chunkkv.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The kept counts each built-in policy promises (the contract every registered policy keeps is PolicyContractTest). */
class PoliciesTest {
    private static final int LAYERS = 6;

    /** What a prefill does: observe the rows the policy asks for, then select. */
    static int[] select(CompressionPolicy p, int layer, int n) {
        return p.select(layer, Layers.random(n, p.observedQueries(layer, n), 31L * n + layer));
    }

    private static int[] all(int n) {
        return IntStream.range(0, n).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"snapkv", "h2o", "streamingllm", "random", "pyramidkv"})
    void shortCachesAreKeptWhole(String name) {
        CompressionPolicy p = PolicyRegistry.create(ChunkKvConfig.parse(name + ":keep=0.1,window=16"), LAYERS);
        assertEquals(0, p.observedQueries(0, 16));
        assertArrayEquals(all(16), p.select(0, Layers.random(16, 0, 1)));
        assertEquals(17, select(p, 0, 17).length, "one position outside the window is kept (at least one)");
    }

    @Test
    void chunkKvKeepsCachesUpToWindowPlusOneChunk() {
        CompressionPolicy p = PolicyRegistry.create(ChunkKvConfig.parse("chunkkv:keep=0.1,window=16,chunk=10"), LAYERS);
        assertEquals(0, p.observedQueries(0, 26));
        assertArrayEquals(all(26), p.select(0, Layers.random(26, 0, 1)));
        assertEquals(16, p.observedQueries(0, 27));
        assertEquals(16 + 10, select(p, 0, 27).length, "one chunk (the minimum) of the two");
    }

    @Test
    void chunkKvRatioKeepsMaxOneFloorChunksTimesRatio() {
        // 95 positions outside the window: 9 chunks of 10 and one of 5.
        CompressionPolicy p = PolicyRegistry.create(ChunkKvConfig.parse("chunkkv:keep=0.35,window=32,chunk=10"), LAYERS);
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
        CompressionPolicy p = PolicyRegistry.create(ChunkKvConfig.parse("chunkkv:budget=64,window=32,chunk=10"), LAYERS);
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
            CompressionPolicy p = PolicyRegistry.create(config, LAYERS);
            for (int n : new int[] {40, 200}) {
                assertEquals(config.keptOutsideWindow(n) + 16, select(p, 1, n).length, config + " n=" + n);
            }
        }
    }

    @Test
    void pyramidKvKeepsTheUniformTotalOverLayersFallingWithDepth() {
        ChunkKvConfig config = ChunkKvConfig.parse("pyramidkv:keep=0.2,window=16");
        CompressionPolicy p = PolicyRegistry.create(config, LAYERS);
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
        float[] flat = new float[128];
        Arrays.fill(flat, 0.25f); // uniform attention over 128 columns is 1/128, exact in float: chunk means tie exactly too
        LayerView obs = Layers.planted(flat);
        int[] snap = PolicyRegistry.create(ChunkKvConfig.parse("snapkv:budget=26,window=16,pool=1"), 1).select(0, obs);
        assertArrayEquals(IntStream.concat(IntStream.range(0, 10), IntStream.range(112, 128)).toArray(), snap);
        int[] chunk = PolicyRegistry.create(ChunkKvConfig.parse("chunkkv:budget=36,window=16,chunk=10,pool=1"), 1).select(0, obs);
        assertArrayEquals(IntStream.concat(IntStream.range(0, 20), IntStream.range(112, 128)).toArray(), chunk);
    }

    @Test
    void chunkKvKeepsAPlantedSpanWholeWhereTokenSelectionFragmentsIt() {
        float[] sums = new float[200];
        Arrays.fill(sums, 0.001f);
        for (int s = 40; s < 50; s++) sums[s] = 0.5f; // the span that matters
        for (int s : new int[] {5, 17, 63, 88, 101, 120, 150}) sums[s] = 0.9f; // isolated spikes
        LayerView obs = Layers.planted(sums);
        int[] chunk = PolicyRegistry.create(ChunkKvConfig.parse("chunkkv:budget=42,window=32,chunk=10,pool=1"), 1).select(0, obs);
        assertArrayEquals(IntStream.concat(IntStream.range(40, 50), IntStream.range(168, 200)).toArray(), chunk);
        int[] token = PolicyRegistry.create(ChunkKvConfig.parse("snapkv:budget=42,window=32,pool=1"), 1).select(0, obs);
        long spanKept = Arrays.stream(token).filter(s -> s >= 40 && s < 50).count();
        assertEquals(3, spanKept, "7 spikes take 7 of the 10 slots: the span is cut to a fragment");
    }

    @Test
    void chunkKvOverH2oScoresKeepsWholeChunksRankedByH2o() {
        Kernels k = Kernels.preferred();
        LayerView layer = Layers.random(200, 200, 9);
        float[] h2o = new AccumulatedAttentionScorer(k, 32).score(layer.attention());
        int[] kept = PolicyRegistry.create(ChunkKvConfig.parse("chunkkv:scorer=h2o,budget=62,chunk=10,window=32"), 1)
                .select(0, layer);
        float[] means = new float[17];
        k.chunkMeans(h2o, h2o.length, 10, means);
        int[] expectedChunks = k.topK(means, 17, 3); // budget 62 = window 32 + 3 chunks of 10
        int[] expected = IntStream.concat(Arrays.stream(expectedChunks).flatMap(c -> IntStream.range(c * 10, Math.min(168, c * 10 + 10))),
                IntStream.range(168, 200)).toArray();
        assertArrayEquals(expected, kept);
    }

    @Test
    void observedQueriesFollowTheScorer() {
        assertEquals(32, PolicyRegistry.create(ChunkKvConfig.parse("chunkkv:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(32, PolicyRegistry.create(ChunkKvConfig.parse("snapkv:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(500, PolicyRegistry.create(ChunkKvConfig.parse("h2o:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(0, PolicyRegistry.create(ChunkKvConfig.parse("streamingllm:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(0, PolicyRegistry.create(ChunkKvConfig.parse("random:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(0, PolicyRegistry.create(ChunkKvConfig.full(), 2).observedQueries(1, 500));
        assertEquals(1, PolicyRegistry.create(ChunkKvConfig.parse("tova:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(0, PolicyRegistry.create(ChunkKvConfig.parse("keydiff:keep=0.1"), 2).observedQueries(1, 500));
        assertEquals(500, PolicyRegistry.create(ChunkKvConfig.parse("chunkkv:scorer=h2o,keep=0.1"), 2).observedQueries(1, 500));
    }

    @Test
    void randomIsReproducibleBySeed() {
        CompressionPolicy a = PolicyRegistry.create(ChunkKvConfig.parse("random:keep=0.2,seed=7"), 4);
        CompressionPolicy b = PolicyRegistry.create(ChunkKvConfig.parse("random:keep=0.2,seed=7"), 4);
        CompressionPolicy c = PolicyRegistry.create(ChunkKvConfig.parse("random:keep=0.2,seed=8"), 4);
        assertArrayEquals(select(a, 2, 300), select(b, 2, 300));
        assertFalse(Arrays.equals(select(a, 2, 300), select(c, 2, 300)), "another seed draws other tokens");
        assertFalse(Arrays.equals(select(a, 1, 300), select(a, 2, 300)), "layers draw independently");
    }

    @Test
    void rejectsBadArguments() {
        CompressionPolicy p = PolicyRegistry.create(ChunkKvConfig.chunkKv(0.1), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.select(4, Layers.random(100, 32, 1)));
        assertTrue(e.getMessage().contains("layer must be in [0, 4)"), e.getMessage());
        IllegalStateException unobserved = assertThrows(IllegalStateException.class, () -> p.select(0, Layers.random(100, 0, 1)));
        assertTrue(unobserved.getMessage().contains("no query rows of this layer were observed"), unobserved.getMessage());
        assertThrows(NullPointerException.class, () -> p.select(0, null));
        assertThrows(IllegalArgumentException.class, () -> p.observedQueries(-1, 100));
        e = assertThrows(IllegalArgumentException.class, () -> PolicyRegistry.create(ChunkKvConfig.chunkKv(0.1), 0));
        assertTrue(e.getMessage().contains("numLayers must be >= 1"), e.getMessage());
    }
}
