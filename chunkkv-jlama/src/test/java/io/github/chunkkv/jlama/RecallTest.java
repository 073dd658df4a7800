package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;
import io.github.chunkkv.testing.ReferenceTransformer;
import io.github.chunkkv.testing.TinyModelExtension;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Recall: a later turn attends over every earlier row (hot, or recalled from the cold tier at Q8 precision) and then
 * re-selects the hot rows over the whole context; decoding reads only hot rows.
 */
class RecallTest {
    /** Relative logit error the Q8 cold tier may add on these models (measured: 0.5e-2 to 1.2e-2; without recall turn 2 is off by 0.8). */
    static final float Q8_TOLERANCE = 2e-2f;

    static final TinyModels.Spec spec = TinyModels.llama();

    @RegisterExtension
    static final TinyModelExtension LLAMA = new TinyModelExtension(spec);

    /** The two turns of the two-turn scenarios: 120 tokens, then 30. */
    private static final int[] TURN_1, TURN_2;

    static {
        Random r = new Random(3);
        TURN_1 = r.ints(120, 3, spec.vocab()).toArray();
        TURN_2 = r.ints(30, 3, spec.vocab()).toArray();
    }

    /** With {@code promote=0} decoding reads exactly the rows the last re-selection kept, as before decode-time recall. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunkkv:keep=0.2,chunk=4,window=8,recall=ram,promote=0", "snapkv:budget=40,window=8,reuse=2,recall=disk,promote=0"})
    void laterTurnsSeeTheWholeContextAndDecodingSeesOnlyHotRows(String policy) {
        int[] turn1 = TURN_1, turn2 = TURN_2;
        ReferenceTransformer reference = new ReferenceTransformer(spec);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse(policy))) {
            KvSession s = m.openSession();
            s.prefill(turn1);
            for (int t : turn1) reference.step(t, (l, p) -> true);
            assertTrue(s.coldRows(0) > 0, "turn 1 demoted rows");
            assertEquals(120, s.cachedRows(0) + s.coldRows(0), "hot + cold = every position");

            float[] actual = s.prefill(turn2);
            float[] expected = null;
            for (int t : turn2) expected = reference.step(t, (l, p) -> true); // turn 2 sees every prior row
            float error = relativeError(expected, actual);
            assertTrue(error <= Q8_TOLERANCE, "turn 2 vs a reference seeing everything: " + error);

            int[][] hot = new int[spec.layers()][];
            for (int l = 0; l < spec.layers(); l++) {
                hot[l] = s.cachedPositions(l);
                assertEquals(150, hot[l].length + s.coldRows(l), "layer " + l + ": hot + cold = every position");
                int[] cold = s.coldPositions(l);
                for (int p : cold) assertTrue(Arrays.binarySearch(hot[l], p) < 0, "a position is hot or cold, not both");
            }
            RecallStats stats = s.lastRecallStats();
            assertEquals(s.kvBytes(), stats.hotBytes());
            assertTrue(stats.promoted() > 0 && stats.demoted() > 0, stats.toString());
            for (int step = 0; step < 6; step++) {
                int next = Sampler.argmax(actual);
                actual = s.decode(next);
                expected = reference.step(next, (l, p) -> p >= 150 || Arrays.binarySearch(hot[l], p) >= 0);
                error = relativeError(expected, actual);
                assertTrue(error <= Q8_TOLERANCE, "decode step " + step + " vs the reference masking the cold rows: " + error);
                for (int l = 0; l < spec.layers(); l++) assertEquals(hot[l].length + step + 1, s.cachedRows(l), "nothing promoted");
            }
            assertEquals(0, s.rowsPromotedWhileDecoding());
        }
    }

    /**
     * Decode-time recall: each step attends over the hot rows plus the cold chunks promoted for it, which is the
     * masked reference unmasking exactly the rows hot after the step; promoted rows come back in whole chunks and stay.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunkkv:keep=0.2,chunk=4,window=8,recall=ram,promote=2", "snapkv:budget=40,window=8,reuse=2,chunk=4,recall=disk,promote=2"})
    void decodingPromotesColdChunksAndEqualsTheMaskedReferenceUnmaskingThem(String policy) {
        ReferenceTransformer reference = new ReferenceTransformer(spec);
        for (int t : TURN_1) reference.step(t, (l, p) -> true);
        for (int t : TURN_2) reference.step(t, (l, p) -> true);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse(policy))) {
            KvSession s = m.openSession();
            s.prefill(TURN_1);
            float[] actual = s.prefill(TURN_2);
            long promoted = 0;
            for (int step = 0; step < 6; step++) {
                int[][] before = new int[spec.layers()][];
                for (int l = 0; l < spec.layers(); l++) before[l] = s.cachedPositions(l);
                int next = Sampler.argmax(actual);
                actual = s.decode(next);
                int[][] hot = new int[spec.layers()][];
                for (int l = 0; l < spec.layers(); l++) {
                    hot[l] = s.cachedPositions(l);
                    int[] cold = s.coldPositions(l);
                    assertEquals(s.position(), hot[l].length + cold.length, "layer " + l + ": hot + cold = every position");
                    for (int p : before[l]) assertTrue(Arrays.binarySearch(hot[l], p) >= 0, "promoted rows stay hot, the rest too");
                    for (int p : hot[l]) {
                        boolean promotedNow = Arrays.binarySearch(before[l], p) < 0 && p < s.position() - 1;
                        if (!promotedNow) continue;
                        promoted++;
                        for (int c : cold) assertTrue(c / 4 != p / 4, "a promoted chunk leaves no row cold: " + p + ", " + c);
                    }
                }
                float[] expected = reference.step(next, (l, p) -> Arrays.binarySearch(hot[l], p) >= 0);
                float error = relativeError(expected, actual);
                assertTrue(error <= Q8_TOLERANCE, "decode step " + step + " vs the reference unmasking the promoted rows: " + error);
            }
            assertTrue(promoted > 0, "the test promotes something");
            assertEquals(promoted, s.rowsPromotedWhileDecoding());
            s.prefill(new int[] {5});
            assertEquals(0, s.rowsPromotedWhileDecoding(), "counted per turn");
        }
    }

    @Test
    void oneShotEvictionMissesWhatRecallSees() {
        int[] turn1 = TURN_1, turn2 = TURN_2;
        ReferenceTransformer reference = new ReferenceTransformer(spec);
        float[] expected = null;
        for (int t : turn1) reference.step(t, (l, p) -> true);
        for (int t : turn2) expected = reference.step(t, (l, p) -> true);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.2,chunk=4,window=8"))) {
            KvSession s = m.openSession();
            s.prefill(turn1);
            float error = relativeError(expected, s.prefill(turn2));
            assertTrue(error > Q8_TOLERANCE, "without recall turn 2 cannot see evicted rows, so the tolerance means something: " + error);
        }
    }

    @Test
    void aRatioReselectsOverTheWholeContextEachTurn() {
        Random r = new Random(9);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.2,chunk=4,window=8,recall=ram"))) {
            KvSession s = m.openSession();
            s.prefill(r.ints(200, 3, spec.vocab()).toArray());
            int hotAfterTurn1 = s.cachedRows(0);
            s.prefill(r.ints(100, 3, spec.vocab()).toArray());
            // keep=0.2 of the 292 positions outside the window: 14 chunks of 4 + the window of 8
            assertEquals(64, s.cachedRows(0), "turn 1 had " + hotAfterTurn1);
            assertEquals(300, s.cachedRows(0) + s.coldRows(0));
            assertTrue(s.coldBytesInRam() > 0);
            assertEquals(0, s.coldBytesOnDisk());
            assertTrue(s.coldBytesInRam() < s.coldRows(0) * m.kvBytesPerPosition() / 2, "cold rows take under half of float32");
        }
    }

    @Test
    void theDiskTierKeepsOnlyHotRowsResidentAndLeavesNoFileBehind() {
        Random r = new Random(4);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.1,chunk=4,window=8,recall=disk,promote=0"))) {
            KvSession s = m.openSession();
            s.prefill(r.ints(300, 3, spec.vocab()).toArray());
            Path file = ((DiskColdTier) s.coldTier()).path();
            assertFalse(Files.exists(file), "the cold file is unlinked as soon as it is opened");
            assertTrue(s.coldBytesOnDisk() > 0);
            RecallStats stats = s.lastRecallStats();
            assertEquals(s.coldBytesOnDisk(), stats.coldDiskBytes());
            assertTrue(stats.residentBytes() < 0.15 * 300 * m.kvBytesPerPosition(), "resident " + stats.residentBytes());
            s.close();
            assertEquals(0, s.coldBytesOnDisk());
            assertFalse(Files.exists(file));
        }
    }

    /** Rewinding decode steps demotes what they promoted again: the session is the one it was at that position. */
    @Test
    void rewindingDecodeStepsDemotesWhatTheyPromoted() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.2,chunk=4,window=8,recall=ram,promote=2"))) {
            KvSession s = m.openSession();
            s.prefill(TURN_1);
            float[] logits = s.prefill(TURN_2);
            int[][] hot = new int[spec.layers()][], cold = new int[spec.layers()][];
            for (int l = 0; l < spec.layers(); l++) {
                hot[l] = s.cachedPositions(l);
                cold[l] = s.coldPositions(l);
            }
            int first = Sampler.argmax(logits);
            float[] next = s.decode(first);
            for (int step = 0; step < 4; step++) s.decode(Sampler.argmax(next));
            assertTrue(s.rowsPromotedWhileDecoding() > 0, "the steps promoted rows");
            s.rewind(s.compressedUpTo());
            assertEquals(0, s.rowsPromotedWhileDecoding());
            for (int l = 0; l < spec.layers(); l++) {
                assertArrayEquals(hot[l], s.cachedPositions(l), "layer " + l + " hot as at the prefill's end");
                assertArrayEquals(cold[l], s.coldPositions(l), "layer " + l + " cold as at the prefill's end");
            }
            float error = relativeError(next, s.decode(first));
            assertTrue(error <= 1e-2f * Q8_TOLERANCE, "the same step again, re-quantized rows aside: " + error);
        }
    }

    /**
     * Decode-time recall adds only its key sketch to what a disk tier keeps in RAM: per position and KV head at most a
     * sixth of the head size in codes and a float, plus the directions themselves.
     */
    @Test
    void theKeySketchIsWhatDecodeTimeRecallKeepsInRam() {
        int[] prompt = new Random(4).ints(300, 3, spec.vocab()).toArray();
        long[] ram = new long[2];
        for (int promote = 0; promote <= 1; promote++) {
            try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.1,chunk=10,window=8,recall=disk,promote=" + promote))) {
                KvSession s = m.openSession();
                s.prefill(prompt);
                ram[promote] = s.coldBytesInRam();
            }
        }
        int head = spec.dim() / spec.heads(), rank = head / 6, positions = Math.ceilDiv(300, Kernels.Q8_PANEL) * Kernels.Q8_PANEL;
        long perLayer = (long) positions * spec.kvHeads() * (rank + 4) + 4L * spec.kvHeads() * (head + rank * (head + 1)) + 4L * (positions / 10 + 1);
        assertTrue(ram[1] > ram[0] && ram[1] - ram[0] <= spec.layers() * perLayer, Arrays.toString(ram) + " against " + spec.layers() * perLayer);
    }

    @Test
    void decodingCapKeepsMemoryBoundedAndEqualsTheMaskedReference() {
        int cap = 24, slack = 6;
        int[] prompt = new Random(8).ints(60, 3, spec.vocab()).toArray();
        ReferenceTransformer reference = new ReferenceTransformer(spec);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.5,chunk=4,window=8,cap=" + cap + ",slack=" + slack))) {
            KvSession s = m.openSession();
            float[] actual = s.prefill(prompt);
            for (int t : prompt) reference.step(t, (l, p) -> true);
            for (int step = 0; step < 120; step++) {
                int[][] hot = new int[spec.layers()][];
                for (int l = 0; l < spec.layers(); l++) hot[l] = s.cachedPositions(l);
                int next = Sampler.argmax(actual);
                int position = s.position();
                actual = s.decode(next);
                float[] expected = reference.step(next, (l, p) -> p >= position || Arrays.binarySearch(hot[l], p) >= 0);
                assertTrue(relativeError(expected, actual) <= 1e-3f, "decode step " + step + ": " + relativeError(expected, actual));
                for (int l = 0; l < spec.layers(); l++) assertTrue(s.cachedRows(l) <= cap + slack, "step " + step + ": " + s.cachedRows(l));
            }
            assertTrue(s.lastRecallStats().hotRows() <= (long) cap * spec.layers() + spec.layers(), s.lastRecallStats().toString());
        }
    }

    @Test
    void decodingCapDemotesToTheColdTierWithRecall() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.5,chunk=4,window=8,recall=ram,cap=20,slack=0"))) {
            KvSession s = m.openSession();
            float[] logits = s.prefill(new Random(2).ints(50, 3, spec.vocab()).toArray());
            for (int step = 0; step < 40; step++) logits = s.decode(Sampler.argmax(logits));
            for (int l = 0; l < spec.layers(); l++) {
                assertTrue(s.cachedRows(l) <= 20);
                assertEquals(s.position(), s.cachedRows(l) + s.coldRows(l), "nothing is lost");
            }
            assertArrayEquals(new long[] {0}, new long[] {s.lastRecallStats().promoted()}, "a cap only demotes");
        }
    }

    /** max |expected - actual| over max(1, max |expected|). */
    static float relativeError(float[] expected, float[] actual) {
        float worst = 0, scale = 1;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return worst / scale;
    }
}
