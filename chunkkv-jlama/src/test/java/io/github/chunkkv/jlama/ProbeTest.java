package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.ReferenceTransformer;
import io.github.chunkkv.testing.TinyModelExtension;
import io.github.chunkkv.testing.TinyModels;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A probe scores the first compression and leaves no trace: the session's logits, position, tokens and tiers are those
 * of a session that kept the same positions without ever seeing the probe.
 */
class ProbeTest {

    static final TinyModels.Spec spec = TinyModels.llama();

    @RegisterExtension
    static final TinyModelExtension LLAMA = new TinyModelExtension(spec);

    static final int[] PROMPT = new Random(5).ints(120, 3, spec.vocab()).toArray();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunkkv:keep=0.3,chunk=4,window=8", "chunkkv:budget=40,chunk=5,window=8,reuse=2", "snapkv:keep=0.2,window=8",
        "h2o:keep=0.25,window=8", "tova:keep=0.25,window=8", "pyramidkv:budget=48,window=8"})
    void probedSessionDecodesAsTheMaskedReferenceOfItsKeptPositions(String policy) {
        ReferenceTransformer reference = new ReferenceTransformer(spec);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse(policy + ",probe=repeat"));
                ChunkKvModel plain = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse(policy))) {
            KvSession s = m.openSession(), unprobed = plain.openSession();
            float[] actual = s.prefill(PROMPT);
            unprobed.prefill(PROMPT);
            float[] expected = null;
            for (int token : PROMPT) expected = reference.step(token, (layer, pos) -> true);
            ReferenceTransformer.assertMatches(expected, actual, "prefill logits are the prompt's, not the probe's");
            assertEquals(PROMPT.length, s.position());
            assertArrayEquals(PROMPT, s.tokens());

            int[][] kept = new int[spec.layers()][];
            boolean differs = false;
            for (int l = 0; l < spec.layers(); l++) {
                kept[l] = s.cachedPositions(l);
                assertEquals(unprobed.cachedRows(l), kept[l].length, "layer " + l + ": the same budget as without a probe");
                assertTrue(kept[l][kept[l].length - 1] < PROMPT.length, "layer " + l + " holds no probe row");
                differs |= !Arrays.equals(kept[l], unprobed.cachedPositions(l));
            }
            assertTrue(differs, "the probe, not the prompt's window, chose the kept positions");
            for (int step = 0; step < 6; step++) {
                int next = Sampler.argmax(actual);
                actual = s.decode(next);
                expected = reference.step(next, (layer, pos) -> pos >= PROMPT.length || Arrays.binarySearch(kept[layer], pos) >= 0);
                ReferenceTransformer.assertMatches(expected, actual, "decode step " + step);
            }
        }
    }

    @Test
    void withRecallEveryPromptPositionIsHotOrColdAndNoProbeRowIsEither() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.2,chunk=4,window=8,recall=ram,probe=repeat"))) {
            KvSession s = m.openSession();
            s.prefill(PROMPT);
            for (int l = 0; l < spec.layers(); l++) {
                int[] all = IntStream.concat(Arrays.stream(s.cachedPositions(l)), Arrays.stream(s.coldPositions(l))).sorted().toArray();
                assertArrayEquals(IntStream.range(0, PROMPT.length).toArray(), all, "layer " + l);
            }
            int[] question = new Random(6).ints(20, 3, spec.vocab()).toArray();
            s.prefill(question);
            assertEquals(PROMPT.length + question.length, s.position());
            assertEquals(PROMPT.length + question.length, s.cachedRows(0) + s.coldRows(0), "the later turn re-selects without a probe");
        }
    }

    @Test
    void onlyTheFirstPrefillIsProbed() {
        int[] question = new Random(7).ints(30, 3, spec.vocab()).toArray();
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.3,chunk=4,window=8,probe=repeat"))) {
            KvSession s = m.openSession();
            s.prefill(PROMPT);
            int[] turn1 = s.cachedPositions(0);
            s.prefill(question);
            int[] turn2 = s.cachedPositions(0);
            // A second probe would have cost another forward pass; its absence shows as the turn-1 rows staying (ratio).
            for (int p : turn1) assertTrue(Arrays.binarySearch(turn2, p) >= 0, "turn-1 row " + p + " stays");
            assertTrue(turn2[turn2.length - 1] == PROMPT.length + question.length - 1, "the question's window is kept");
        }
    }

    @Test
    void aPromptLeavingNoRoomForTheProbeIsRefusedBeforeAnyWork() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.3,chunk=4,window=8,probe=repeat"))) {
            KvSession s = m.openSession();
            int[] full = new Random(8).ints(m.maxPositions(), 3, spec.vocab()).toArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.prefill(full));
            assertTrue(e.getMessage().contains("probe=repeat needs at least"), e.getMessage());
            assertEquals(0, s.position());
            assertEquals(0, s.cachedRows(0));
            assertFalse(s.isClosed());
        }
    }

    @Test
    void aLongPromptRepeatsWhatFits() {
        int[] instruction = {7, 8, 9};
        assertArrayEquals(new int[] {7, 8, 9, 11, 12}, ProbeTokens.repeat(instruction, new int[] {1, 11, 12, 13}, 1, 5), "BOS not repeated");
        assertArrayEquals(new int[] {7, 8, 9, 11, 12, 13}, ProbeTokens.repeat(instruction, new int[] {11, 12, 13}, 1, 50));
    }
}
