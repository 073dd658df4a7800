package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.TinyModelExtension;
import io.github.chunkkv.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Sessions across turns, the Generator contract, and what bad input must not break. */
class SessionTest {

    static final TinyModels.Spec spec = TinyModels.llama();

    @RegisterExtension
    static final TinyModelExtension LLAMA = new TinyModelExtension(spec);

    private static int[] greedy(KvSession s, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = Sampler.argmax(logits);
            if (i + 1 < n) logits = s.decode(out[i]);
        }
        return out;
    }

    @Test
    void twoTurnsEqualOneRunOverTheConcatenatedTokensAtKeepOne() {
        Random r = new Random(1);
        int[] turn1 = r.ints(90, 3, spec.vocab()).toArray(), turn2 = r.ints(40, 3, spec.vocab()).toArray();
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=1.0"))) {
            KvSession a = m.openSession();
            int[] gen1 = greedy(a, a.prefill(turn1), 6);
            int[] gen2 = greedy(a, a.prefill(concat(new int[] {gen1[5]}, turn2)), 6);

            KvSession b = m.openSession();
            int[] all = concat(concat(turn1, gen1), turn2);
            int[] oneRun = greedy(b, b.prefill(all), 6);
            assertArrayEquals(oneRun, gen2);
            assertEquals(b.position(), a.position() + 0, "same logical position after both runs");
        }
    }

    @Test
    void turnTwoAppendsToTheCompressedTurnOneCache() {
        Random r = new Random(2);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.2,window=8,chunk=4"))) {
            KvSession s = m.openSession();
            s.prefill(r.ints(200, 3, spec.vocab()).toArray());
            int keptAfterTurn1 = s.cachedRows(0);
            assertTrue(keptAfterTurn1 < 100);
            int[] before = s.cachedPositions(0);
            s.prefill(r.ints(30, 3, spec.vocab()).toArray());
            assertEquals(230, s.position(), "turn 2 continues at the next logical position");
            CompressionStats stats = s.lastStats();
            assertEquals(30, stats.promptTokens(), "only the new tokens are prefilled");
            assertEquals(keptAfterTurn1 + 30, stats.cachedBefore(), "compression saw turn 1's kept rows plus turn 2");
            int[] after = s.cachedPositions(0);
            assertTrue(after.length < keptAfterTurn1 + 30, "turn 2's own rows are compressed");
            assertArrayEquals(before, java.util.Arrays.copyOf(after, before.length), "with a ratio, turn 1's kept rows all stay");
            assertEquals(s.kvBytes(), stats.kvBytesAfter());
            assertEquals((long) after.length * spec.layers() * 2 * spec.kvHeads() * (spec.dim() / spec.heads()) * Float.BYTES, s.kvBytes(),
                    "KV bytes = kept rows x row bytes");
        }
    }

    @Test
    void aBudgetBoundsTheWholeCacheAcrossTurns() {
        Random r = new Random(6);
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:budget=40,window=8,chunk=4"))) {
            KvSession s = m.openSession();
            s.prefill(r.ints(150, 3, spec.vocab()).toArray());
            assertTrue(s.cachedRows(0) <= 40);
            s.prefill(r.ints(60, 3, spec.vocab()).toArray());
            assertTrue(s.cachedRows(0) <= 40, "re-selected within the budget, got " + s.cachedRows(0));
        }
    }

    @Test
    void generateContinuesTheSessionAndCountsNewTokens() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full())) {
            UUID id = UUID.randomUUID();
            Generator.Response r1 = m.generate(id, PromptContext.of("hello there, how are you"), 0f, 5);
            assertEquals(5, r1.generatedTokens, "ntokens counts new tokens");
            int afterTurn1 = m.session(id).position();
            Generator.Response r2 = m.generate(id, PromptContext.of("and then?"), 0f, 4);
            assertEquals(4, r2.generatedTokens);
            assertTrue(m.session(id).position() > afterTurn1, "turn 2 appended");
            assertEquals(1, m.openSessions());
            m.closeSession(id);
            assertEquals(0, m.openSessions());
        }
    }

    @Test
    void overLongPromptIsRefusedBeforeAnyWorkAndTheSessionStillWorks() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.chunkKv(0.5))) {
            KvSession s = m.openSession();
            s.prefill(new int[] {5, 6, 7});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.prefill(new int[m.maxPositions()]));
            assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
            assertEquals(3, s.position(), "nothing half-written");
            assertThrows(IllegalArgumentException.class, () -> s.prefill(new int[0]));
            assertThrows(IllegalArgumentException.class, () -> s.decode(spec.vocab()));
            assertThrows(IllegalArgumentException.class, () -> m.generate(UUID.randomUUID(), PromptContext.of("x"), -1f, 3));
            assertThrows(IllegalArgumentException.class, () -> m.generate(UUID.randomUUID(), PromptContext.of("x"), 0f, 0));
            float[] logits = s.decode(8);
            assertEquals(spec.vocab(), logits.length);
            assertEquals(4, s.position());
        }
    }

    @Test
    void rewindDropsOnlyTheUncompressedTail() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("snapkv:keep=0.5,window=8"))) {
            KvSession s = m.openSession();
            s.prefill(new Random(4).ints(60, 3, spec.vocab()).toArray());
            s.decode(10);
            s.decode(11);
            assertThrows(IllegalArgumentException.class, () -> s.rewind(30));
            s.rewind(60);
            assertEquals(60, s.position());
            assertEquals(60, s.cachedPositions(0)[s.cachedRows(0) - 1] + 1);
        }
    }

    @Test
    void closedSessionsAreFreedAndRefused() {
        ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full());
        KvSession s = m.openSession();
        s.prefill(new int[] {4, 5, 6});
        m.close();
        assertTrue(s.isClosed());
        assertEquals(0, s.kvBytes());
        assertThrows(IllegalStateException.class, () -> s.decode(4));
    }

    @Test
    void concurrentCallsOnOneModelAreSerializedAndGiveSequentialResults() throws Exception {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.chunkKv(0.3))) {
            List<String> prompts = List.of("the cat sat on the mat and looked around", "a dog ran in the park all day long");
            List<String> sequential = new ArrayList<>();
            for (String p : prompts) sequential.add(m.generate(UUID.randomUUID(), PromptContext.of(p), 0f, 8).responseText);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<String>> parallel = new ArrayList<>();
                for (String p : prompts) parallel.add(pool.submit(() -> m.generate(UUID.randomUUID(), PromptContext.of(p), 0f, 8).responseText));
                for (int i = 0; i < prompts.size(); i++) assertEquals(sequential.get(i), parallel.get(i).get());
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void noPageFilesAreWritten() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        List<Path> before;
        try (Stream<Path> f = Files.list(cwd)) {
            before = f.toList();
        }
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.chunkKv(0.5))) {
            m.generate(UUID.randomUUID(), PromptContext.of("some words to fill the cache"), 0f, 4);
        }
        try (Stream<Path> f = Files.list(cwd)) {
            assertFalse(f.anyMatch(p -> !before.contains(p)), "no new files in the working directory");
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
