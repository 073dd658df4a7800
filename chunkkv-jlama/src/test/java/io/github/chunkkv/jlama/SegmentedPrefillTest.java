package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.Logits;
import io.github.chunkkv.testing.ReferenceTransformer;
import io.github.chunkkv.testing.TinyModelExtension;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bounded-memory prefill ({@code segment=N}): the cache is compressed after every segment, so the hot cache never holds
 * more than its target plus one segment, and every later token attends exactly to what the earlier segments kept.
 */
class SegmentedPrefillTest {
    static final TinyModels.Spec spec = TinyModels.llama();

    @RegisterExtension
    static final TinyModelExtension LLAMA = new TinyModelExtension(spec);

    private static final int[] PROMPT = new Random(21).ints(300, 3, spec.vocab()).toArray();

    /**
     * A prefill that fits one segment is the compress-once prefill: the same hot and cold positions, and logits as equal
     * as two runs of one path are (JIT-compiled and interpreted Vector API reductions add in different orders, which
     * moves the last bits from run to run).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunkkv:keep=0.2,chunk=4,window=8", "snapkv:budget=48,window=8,reuse=2", "pyramidkv:budget=48,window=8",
            "chunkkv:keep=0.1,chunk=4,window=8,recall=ram"})
    void aSegmentCoveringThePromptCompressesExactlyAsOnce(String policy) {
        for (int segment : new int[] {PROMPT.length, 4 * PROMPT.length}) {
            try (ChunkKvModel once = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse(policy));
                    ChunkKvModel segmented = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse(policy + ",segment=" + segment))) {
                KvSession a = once.openSession(), b = segmented.openSession();
                float[] expected = a.prefill(PROMPT), actual = b.prefill(PROMPT);
                assertTrue(Logits.maxDiff(expected, actual) <= 1e-5f * Logits.maxAbs(expected), "prefill logits, segment " + segment);
                assertTrue(b.cachedRows(0) < PROMPT.length, "the policy evicts");
                for (int l = 0; l < spec.layers(); l++) {
                    assertArrayEquals(a.cachedPositions(l), b.cachedPositions(l), "hot rows of layer " + l);
                    assertArrayEquals(a.coldPositions(l), b.coldPositions(l), "cold rows of layer " + l);
                }
                int next = Sampler.argmax(a.decode(7));
                assertEquals(next, Sampler.argmax(b.decode(7)), "the next decode step");
            }
        }
    }

    /**
     * With segments shorter than the prompt, the prefill's last logits and every decode step equal a reference in which
     * each token attends only to what the compressions before it kept: the rows of its own segment, plus what the
     * last compression (that of the segment before) left. The kept sets after each segment are those of a session
     * prefilled with the prompt up to that segment's end.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunkkv:budget=48,chunk=4,window=8,segment=64", "chunkkv:keep=0.2,chunk=4,window=8,reuse=2,segment=50",
            "snapkv:budget=40,window=8,segment=100", "h2o:keep=0.25,window=8,segment=64"})
    void everyTokenAttendsToWhatTheEarlierSegmentsKept(String policy) {
        ChunkKvConfig config = ChunkKvConfig.parse(policy);
        int segment = config.segment();
        int[] ends = IntStream.iterate(segment, e -> e < PROMPT.length, e -> e + segment).toArray();
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), config)) {
            int[][][] keptAfter = new int[ends.length][][]; // [segment][layer] positions kept after its compression
            for (int i = 0; i < ends.length; i++) keptAfter[i] = hotPositions(prefilled(m, ends[i]));
            KvSession s = m.openSession();
            float[] actual = s.prefill(PROMPT);
            assertTrue(evictions(keptAfter, ends) >= 2, "at least two segments' compressions evicted rows");

            ReferenceTransformer reference = new ReferenceTransformer(spec);
            float[] expected = null;
            for (int token : PROMPT) {
                int p = reference.position(), last = lastSegmentBefore(ends, p);
                expected = reference.step(token, (layer, pos) -> last < 0 || pos >= ends[last] || Arrays.binarySearch(keptAfter[last][layer], pos) >= 0);
            }
            ReferenceTransformer.assertMatches(expected, actual, "prefill");

            int[][] kept = hotPositions(s);
            for (int step = 0; step < 6; step++) {
                int next = Sampler.argmax(actual);
                actual = s.decode(next);
                expected = reference.step(next, (layer, pos) -> pos >= PROMPT.length || Arrays.binarySearch(kept[layer], pos) >= 0);
                ReferenceTransformer.assertMatches(expected, actual, "decode step " + step);
            }
        }
    }

    /**
     * After every segment each layer holds at most the target of the positions seen (allocated = used; the first
     * compression keeps what compress-once keeps, whose chunk rounding may exceed the target), and while a segment
     * runs at most what the previous compression kept plus the segment, plus with recall the chunks its batch may
     * promote (one batch here): the prefill's peak.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunkkv:budget=48,chunk=4,window=8,segment=64", "snapkv:keep=0.1,window=8,segment=40",
            "chunkkv:keep=0.1,chunk=4,window=8,recall=disk,segment=32"})
    void theHotCacheNeverExceedsItsTargetPlusOneSegment(String policy) {
        ChunkKvConfig config = ChunkKvConfig.parse(policy);
        int segment = config.segment();
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), config);
                ChunkKvModel once = ChunkKvJlama.wrap(LLAMA.model(), config.withSegment(0))) {
            int[] previous = new int[spec.layers()];
            long peakBytes = 0;
            for (int end = segment; end <= PROMPT.length; end += segment) {
                KvSession s = prefilled(m, end);
                KvSession first = end == segment ? prefilled(once, end) : null;
                long rowBytes = s.cache(0).bytesPerRow(), bound = 0;
                for (int l = 0; l < spec.layers(); l++) {
                    int rows = s.cachedRows(l);
                    if (first != null) assertEquals(first.cachedRows(l), rows, "layer " + l + ": the first compression is compress-once");
                    else assertTrue(rows <= config.segmentTarget(end), "layer " + l + " after " + end + ": " + rows);
                    bound += (previous[l] + segment + config.promote() * config.chunkSize()) * rowBytes;
                    previous[l] = rows;
                }
                assertEquals(s.kvBytes(), s.kvAllocatedBytes(), "allocated = used after " + end);
                CompressionStats stats = s.lastStats();
                assertTrue(stats.kvBytesBefore() <= bound, "peak while the segment ending at " + end + " ran: " + stats);
                peakBytes = Math.max(peakBytes, stats.kvBytesBefore());
                assertEquals(end, s.position());
                s.close();
            }
            KvSession whole = m.openSession();
            whole.prefill(PROMPT);
            assertTrue(whole.lastStats().kvBytesBefore() <= peakBytes, "the whole prefill's peak is its segments' " + whole.lastStats());
            assertTrue(whole.lastStats().kvBytesBefore() < PROMPT.length * m.kvBytesPerPosition() / 2, "well below the full cache");
        }
    }

    /**
     * With recall, every segment demotes what it evicts, so hot and cold rows together are the whole context; a later
     * turn is segmented too and recalls nothing wholesale: only the chunks its batches promote come back, and the
     * stats count every row that was cold and is hot again; the cold file is gone once the session closes.
     */
    @Test
    void evictedRowsGoToTheColdTierAndTheColdFileIsDeletedOnClose() {
        ChunkKvConfig config = ChunkKvConfig.parse("chunkkv:keep=0.1,chunk=4,window=8,recall=disk,segment=64");
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), config)) {
            KvSession s = prefilled(m, PROMPT.length);
            int[] turn2 = new Random(8).ints(100, 3, spec.vocab()).toArray();
            int[][] coldBefore = new int[spec.layers()][];
            for (int l = 0; l < spec.layers(); l++) coldBefore[l] = s.coldPositions(l);
            s.prefill(turn2);
            long backInHot = 0;
            for (int l = 0; l < spec.layers(); l++) {
                int[] hot = s.cachedPositions(l);
                backInHot += Arrays.stream(coldBefore[l]).filter(p -> Arrays.binarySearch(hot, p) >= 0).count();
            }
            int total = PROMPT.length + turn2.length;
            for (int l = 0; l < spec.layers(); l++) {
                int[] all = IntStream.concat(Arrays.stream(s.cachedPositions(l)), Arrays.stream(s.coldPositions(l))).sorted().toArray();
                assertArrayEquals(IntStream.range(0, total).toArray(), all, "layer " + l + ": hot and cold rows are every position once");
                assertTrue(s.cachedRows(l) <= config.segmentTarget(total), "layer " + l + " hot rows " + s.cachedRows(l));
            }
            assertTrue(s.lastStats().cachedBefore() <= config.segmentTarget(total - 36) + 64, "turn 2 did not recall every cold row");
            RecallStats recall = s.lastRecallStats();
            assertTrue(recall.promoted() >= backInHot, "promoted " + recall.promoted() + " counts the " + backInHot + " rows hot again");
            assertTrue(recall.promoted() < recall.coldRows() / 2, "nothing is recalled wholesale: promoted " + recall.promoted());
            assertTrue(recall.demoted() > 0, "turn 2 demoted rows");
            s.decode(5); // decode-time recall reads the cold tier
            Path file = ((DiskColdTier) s.coldTier()).path();
            assertTrue(s.coldBytesOnDisk() > 0);
            s.close();
            assertEquals(0, s.coldBytesOnDisk());
            assertFalse(Files.exists(file), "no cold file left behind");
        }
    }

    /** Without recall the evicted rows are dropped: nothing is cold and the hot cache alone is bounded. */
    @Test
    void withoutRecallEvictedRowsAreDropped() {
        ChunkKvConfig config = ChunkKvConfig.parse("snapkv:budget=40,window=8,segment=64");
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), config)) {
            KvSession s = prefilled(m, PROMPT.length);
            for (int l = 0; l < spec.layers(); l++) {
                assertEquals(0, s.coldRows(l));
                assertEquals(40, s.cachedRows(l));
            }
            assertEquals(PROMPT.length, s.position());
            assertEquals(PROMPT.length, s.compressedUpTo());
        }
    }

    private static KvSession prefilled(ChunkKvModel m, int length) {
        KvSession s = m.openSession();
        s.prefill(Arrays.copyOf(PROMPT, length));
        return s;
    }

    private static int[][] hotPositions(KvSession s) {
        int[][] kept = new int[s.layers()][];
        for (int l = 0; l < kept.length; l++) kept[l] = s.cachedPositions(l);
        return kept;
    }

    /** Index of the last segment ending at or before position {@code p}, whose compression {@code p} saw; -1 if none. */
    private static int lastSegmentBefore(int[] ends, int p) {
        int i = -1;
        while (i + 1 < ends.length && ends[i + 1] <= p) i++;
        return i;
    }

    /** How many segment compressions evicted a row that was hot before them (layer 0). */
    private static int evictions(int[][][] keptAfter, int[] ends) {
        int count = 0;
        for (int i = 0; i < ends.length; i++) {
            int hotBefore = i == 0 ? ends[0] : keptAfter[i - 1][0].length + ends[i] - ends[i - 1];
            if (keptAfter[i][0].length < hotBefore) count++;
        }
        return count;
    }
}
