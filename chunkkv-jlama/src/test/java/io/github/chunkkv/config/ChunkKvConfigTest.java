package io.github.chunkkv.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every invalid value is rejected at build time with a message naming the parameter and its allowed range. */
class ChunkKvConfigTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "chunkkv:keep=0            | keep ratio must be in (0, 1]",
        "chunkkv:keep=-0.5         | keep ratio must be in (0, 1]",
        "chunkkv:keep=1.01         | keep ratio must be in (0, 1]",
        "chunkkv:keep=NaN          | keep ratio must be in (0, 1]",
        "snapkv:budget=31          | budget must be >= window (32) and <= 16777216, got 31",
        "snapkv:budget=8,window=16 | budget must be >= window (16) and <= 16777216, got 8",
        "snapkv:budget=16777217   | budget must be >= window (32) and <= 16777216, got 16777217",
        "chunkkv:chunk=0           | chunk must be in [1, 16777216], got 0",
        "chunkkv:chunk=2147483647 | chunk must be in [1, 16777216], got 2147483647",
        "chunkkv:window=0          | window must be in [1, 16777216], got 0",
        "chunkkv:window=2147483647 | window must be in [1, 16777216], got 2147483647",
        "chunkkv:reuse=0           | reuse must be in [1, 1024], got 0",
        "chunkkv:reuse=1025        | reuse must be in [1, 1024], got 1025",
        "chunkkv:pool=4            | pool must be odd and in [1, 1023], got 4",
        "chunkkv:pool=0            | pool must be odd and in [1, 1023], got 0",
        "chunkkv:pool=1025         | pool must be odd and in [1, 1023], got 1025",
        "chunkkv:pool=-3           | pool must be odd and in [1, 1023], got -3",
        "streamingllm:sinks=-1     | sinks must be in [0, 16777216], got -1",
        "streamingllm:sinks=16777217 | sinks must be in [0, 16777216], got 16777217",
        "lru:keep=0.5              | policy must be one of full, chunkkv, snapkv, h2o, streamingllm, pyramidkv, random",
        "chunkkv:size=10           | unknown policy spec parameter 'size'; allowed: keep, budget",
        "chunkkv:keep              | policy spec parameter must be key=value",
        "chunkkv:keep=0.1,,chunk=3 | policy spec parameter must be key=value",
        "chunkkv:=3                | policy spec parameter must be key=value",
        "chunkkv:chunk=ten         | chunk must be an integer",
        "chunkkv:keep=half         | keep must be a number in (0, 1]",
        "chunkkv:seed=1.5          | seed must be an integer",
        "snapkv:keep=0.1,budget=64 | give either keep (ratio) or budget, not both",
        "chunkkv:recall=cloud      | recall must be one of off, ram, disk",
        "chunkkv:probe=ask         | probe must be one of none, repeat",
        "chunkkv:cap=32            | cap must be 0 (no cap) or in [window + 1 = 33, 16777216]",
        "chunkkv:cap=-1            | cap must be 0 (no cap) or in [window + 1 = 33, 16777216]",
        "chunkkv:cap=16777217      | cap must be 0 (no cap) or in [window + 1 = 33, 16777216]",
        "chunkkv:cap=64,slack=-1   | slack must be in [0, 16777216]",
        "chunkkv:cap=64,slack=16777217 | slack must be in [0, 16777216]",
        "chunkkv:slack=8           | slack needs a cap",
        "full:cap=64               | cap applies only to policies that evict; full keeps every position",
        "chunkkv:cap=many          | cap must be an integer",
        "chunkkv:recall=ram,promote=-1 | promote must be in [0, 64]",
        "chunkkv:recall=ram,promote=65 | promote must be in [0, 64]",
        "chunkkv:promote=1         | promote needs recall=ram or recall=disk",
        "chunkkv:recall=ram,promote=x | promote must be an integer",
        "chunkkv:scorer=lru        | scorer must be one of chunkkv, snapkv, h2o, pyramidkv",
        "chunkkv:scorer=random     | scorer must be one of chunkkv, snapkv, h2o, pyramidkv",
        "random:scorer=h2o         | scorer applies only to policies that score positions (chunkkv, snapkv, h2o, pyramidkv",
        "chunkkv:kv=f16            | kv must be one of f32, bf16, q8, got 'f16'",
        "chunkkv:segment=31        | segment must be 0 (compress once per prefill) or in [window = 32, 16777216], got 31",
        "chunkkv:segment=-1        | segment must be 0 (compress once per prefill) or in [window = 32, 16777216], got -1",
        "chunkkv:segment=16777217  | segment must be 0 (compress once per prefill) or in [window = 32, 16777216], got 16777217",
        "chunkkv:window=8,segment=4 | segment must be 0 (compress once per prefill) or in [window = 8, 16777216], got 4",
        "chunkkv:segment=lots      | segment must be an integer",
        "full:segment=512          | segment applies only to policies that evict; full keeps every position",
        "chunkkv:segment=512,probe=repeat | segment cannot be combined with probe=repeat",
    })
    void rejectsInvalidSpecNamingTheParameter(String spec, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChunkKvConfig.parse(spec));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void kvPrecisionRoundTripsAndDefaultsToTheModelsWorkingType() {
        ChunkKvConfig q8 = ChunkKvConfig.parse("chunkkv:keep=0.1,kv=Q8");
        assertEquals(Optional.of(KvPrecision.Q8), q8.kv());
        assertEquals(q8, ChunkKvConfig.parse(q8.toSpec()));
        assertTrue(q8.toSpec().endsWith(",kv=q8"), q8.toSpec());
        assertEquals(Optional.empty(), ChunkKvConfig.parse("chunkkv:keep=0.1").kv());
        assertEquals(Optional.of(KvPrecision.BF16), ChunkKvConfig.parse("snapkv:budget=64,kv=bf16").withBudget(40).kv());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void rejectsBlankSpec(String spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChunkKvConfig.parse(spec));
        assertTrue(e.getMessage().contains("policy spec must be"), e.getMessage());
    }

    @Test
    void builderValidatesLikeTheParser() {
        assertThrows(IllegalArgumentException.class, () -> ChunkKvConfig.builder("chunkkv").keepRatio(0).build());
        assertThrows(IllegalArgumentException.class, () -> ChunkKvConfig.builder("chunkkv").chunkSize(-1).build());
        assertThrows(IllegalArgumentException.class, () -> ChunkKvConfig.builder("snapkv").window(64).budget(63).build());
        assertThrows(IllegalArgumentException.class, () -> ChunkKvConfig.builder("chunkkv").reuseInterval(0).build());
        assertThrows(IllegalArgumentException.class, () -> ChunkKvConfig.builder("chunkkv").poolingKernel(2).build());
        NullPointerException e = assertThrows(NullPointerException.class, () -> ChunkKvConfig.builder(null));
        assertTrue(e.getMessage().contains("policy must be one of"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "chunkkv:keep=0.1,chunk=10,window=32,reuse=2", "snapkv:budget=128", "full", "h2o:keep=0.25,window=8",
        "streamingllm:budget=64,sinks=0", "pyramidkv:budget=96,pool=7", "random:keep=0.5,seed=-3", "CHUNKKV:keep=1",
        "chunkkv:scorer=h2o,keep=0.1", "chunkkv:keep=0.1,recall=ram,probe=repeat"})
    void specRoundTrips(String spec) {
        ChunkKvConfig config = ChunkKvConfig.parse(spec);
        assertEquals(config, ChunkKvConfig.parse(config.toSpec()));
        assertEquals(config.toSpec(), ChunkKvConfig.parse(config.toSpec()).toSpec());
    }

    @Test
    void parsesTheDocumentedExamples() {
        ChunkKvConfig c = ChunkKvConfig.parse("chunkkv:keep=0.1,chunk=10,window=32,reuse=2");
        assertEquals("chunkkv", c.policy());
        assertEquals(null, c.scorer(), "plain chunkkv scores as the paper does");
        assertTrue(c.usesRatio());
        assertEquals(0.1, c.keepRatio());
        assertEquals(10, c.chunkSize());
        assertEquals(32, c.window());
        assertEquals(2, c.reuseInterval());
        assertEquals(ChunkKvConfig.DEFAULT_POOLING_KERNEL, c.poolingKernel());
        assertEquals("chunkkv:keep=0.1,chunk=10,window=32,pool=5,reuse=2,sinks=4,seed=42", c.toSpec());

        ChunkKvConfig s = ChunkKvConfig.parse("snapkv:budget=128");
        assertFalse(s.usesRatio());
        assertEquals(128, s.budget());
        assertEquals(96, s.keptOutsideWindow(1000));
        assertEquals(10, s.keptOutsideWindow(42), "never more than the positions outside the window");
    }

    @Test
    void keepsEverythingOnlyForFullOrRatioOne() {
        assertTrue(ChunkKvConfig.full().keepsEverything());
        assertTrue(ChunkKvConfig.chunkKv(1.0).keepsEverything());
        assertFalse(ChunkKvConfig.chunkKv(0.99).keepsEverything());
        assertFalse(ChunkKvConfig.parse("snapkv:budget=100000").keepsEverything());
    }

    @Test
    void keptOutsideWindowFollowsTheRatio() {
        ChunkKvConfig c = ChunkKvConfig.parse("snapkv:keep=0.1");
        assertEquals(10, c.keptOutsideWindow(132));
        assertEquals(1, c.keptOutsideWindow(40), "at least one position");
        assertEquals(0, c.keptOutsideWindow(20), "nothing outside a window that covers the cache");
    }

    @Test
    void policyNamesAreCaseInsensitive() {
        assertEquals("pyramidkv", ChunkKvConfig.builder(" PyramidKV ").build().policy());
        assertThrows(NullPointerException.class, () -> ChunkKvConfig.builder(null));
        assertEquals("h2o", ChunkKvConfig.parse("chunkkv:scorer=H2O").scorer());
    }

    @Test
    void recallCapAndSlackParseAndRoundTrip() {
        ChunkKvConfig c = ChunkKvConfig.parse("chunkkv:keep=0.1,recall=DISK,cap=64,slack=16");
        assertEquals(Recall.DISK, c.recall());
        assertTrue(c.recalls());
        assertEquals(64, c.cap());
        assertEquals(16, c.slack());
        assertEquals(c, ChunkKvConfig.parse(c.toSpec()));
        assertFalse(ChunkKvConfig.parse("chunkkv:keep=0.1").recalls(), "recall is off unless asked for");
        assertEquals(0, ChunkKvConfig.parse("chunkkv:keep=0.1").cap());
        ChunkKvConfig capped = c.withBudget(64);
        assertEquals(64, capped.budget());
        assertEquals(Recall.DISK, capped.recall());
        assertEquals(c.chunkSize(), capped.chunkSize());
    }

    @Test
    void probeParsesDefaultsToNoneAndSurvivesWithBudget() {
        assertEquals(Probe.NONE, ChunkKvConfig.parse("chunkkv:keep=0.1").probe());
        assertEquals("chunkkv:keep=0.1,chunk=10,window=32,pool=5,reuse=1,sinks=4,seed=42", ChunkKvConfig.parse("chunkkv:keep=0.1,probe=none").toSpec(),
                "the default probe stays out of the spec");
        ChunkKvConfig c = ChunkKvConfig.parse("chunkkv:keep=0.1,probe=Repeat");
        assertEquals(Probe.REPEAT, c.probe());
        assertEquals(Probe.REPEAT, c.withBudget(64).probe());
    }

    @Test
    void largestValuesCannotOverflowTheSumsThePoliciesForm() {
        ChunkKvConfig c = ChunkKvConfig.parse("chunkkv:keep=0.5,chunk=16777216,window=16777215,cap=16777216,slack=16777216");
        assertTrue((long) c.window() + c.chunkSize() <= Integer.MAX_VALUE);
        assertTrue((long) c.cap() + c.slack() <= Integer.MAX_VALUE);
        io.github.chunkkv.policy.TopChunkSelector selector =
                new io.github.chunkkv.policy.TopChunkSelector(io.github.chunkkv.simd.Kernels.preferred(),
                        ChunkKvConfig.parse("chunkkv:keep=0.5,chunk=16777216,window=4"));
        assertEquals(20, selector.select(new float[16], 20, 0).length, "one chunk, kept whole, plus the window");
    }

    @Test
    void segmentParsesRoundTripsAndSurvivesTheDerivedConfigurations() {
        assertEquals(0, ChunkKvConfig.parse("chunkkv:keep=0.1").segment(), "compress once unless asked");
        ChunkKvConfig c = ChunkKvConfig.parse("chunkkv:keep=0.1,recall=disk,cap=64,reuse=2,segment=512");
        assertEquals(512, c.segment());
        assertEquals(c, ChunkKvConfig.parse(c.toSpec()));
        assertTrue(c.toSpec().endsWith(",segment=512"), c.toSpec());
        assertEquals(512, c.withBudget(64).segment());
        assertEquals(512, c.withRecall(Recall.OFF).segment());
        assertEquals(0, c.withSegment(0).segment());
        assertEquals(c, ChunkKvConfig.parse("chunkkv:keep=0.1,recall=disk,cap=64,reuse=2").withSegment(512));
        assertEquals(32, ChunkKvConfig.parse("snapkv:budget=128,segment=32").segment(), "a segment may be as short as the window");
    }

    @Test
    void segmentTargetIsTheBudgetOrTheRatioOfThePositionsSeenSoFar() {
        ChunkKvConfig budget = ChunkKvConfig.parse("snapkv:budget=128,segment=256");
        assertEquals(128, budget.segmentTarget(300));
        assertEquals(128, budget.segmentTarget(30_000));
        ChunkKvConfig ratio = ChunkKvConfig.parse("chunkkv:keep=0.1,window=32,segment=256");
        assertEquals(32 + 26, ratio.segmentTarget(292), "the window plus a tenth of the 260 others");
        assertEquals(32 + 2_996, ratio.segmentTarget(30_000));
    }

    @Test
    void promoteDefaultsToDecodeTimeRecallWithRecallAndToNothingWithout() {
        assertEquals(0, ChunkKvConfig.parse("chunkkv:keep=0.1").promote());
        assertEquals(0, ChunkKvConfig.parse("chunkkv:keep=0.1,promote=0").promote());
        ChunkKvConfig ram = ChunkKvConfig.parse("chunkkv:keep=0.1,recall=ram");
        assertEquals(ChunkKvConfig.DEFAULT_PROMOTE, ram.promote());
        assertEquals(ram, ChunkKvConfig.parse("chunkkv:keep=0.1,recall=ram,promote=" + ChunkKvConfig.DEFAULT_PROMOTE));
        ChunkKvConfig three = ChunkKvConfig.parse("chunkkv:keep=0.1,recall=disk,promote=3");
        assertEquals(3, three.promote());
        assertEquals(three, ChunkKvConfig.parse(three.toSpec()));
        assertEquals(3, three.withBudget(64).promote());
        assertEquals(0, three.withRecall(Recall.OFF).promote(), "recall off leaves nothing to promote");
        assertEquals(ChunkKvConfig.DEFAULT_PROMOTE, ChunkKvConfig.parse("chunkkv:keep=0.1").withRecall(Recall.RAM).promote());
    }
}
