package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.GenerationResult.StopReason;
import io.github.chunkkv.testing.BoundedWait;
import io.github.chunkkv.testing.TinyModelExtension;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** One Jlama model shared by several callers, locks, interruption, the session bound and out-of-range lookups. */
class ConcurrencyTest {
    private static final int NEW_TOKENS = 6;

    static final TinyModels.Spec spec = TinyModels.llama();

    @RegisterExtension
    static final TinyModelExtension LLAMA = new TinyModelExtension(spec);

    private static int[] prompt(int seed, int length) {
        return new Random(seed).ints(length, 3, spec.vocab()).toArray();
    }

    private static String chunkKv(ChunkKvModel m, int[] prompt) {
        try (KvSession s = m.openSession()) {
            return s.generate(prompt, GenerationOptions.maxTokens(NEW_TOKENS), TextListener.NONE).text();
        }
    }

    private static String stock(int[] prompt) {
        try (StockJlamaSession s = new StockJlamaSession(LLAMA.model())) {
            StringBuilder tokens = new StringBuilder().append(s.prefill(prompt));
            for (int i = 1; i < NEW_TOKENS; i++) tokens.append(',').append(s.decode(tokens.length()));
            return tokens.toString();
        }
    }

    @Test
    void twoWrapsAndStockJlamaRunSideBySideOnEightThreadsAsTheyDoAlone() {
        // The twin blocks share Jlama's MLP scratch: without one lock per Jlama model this failed with "BAD M".
        try (ChunkKvModel compressed = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.5,window=8"));
                ChunkKvModel full = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full())) {
            List<Supplier<String>> jobs = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                int[] p = prompt(i, 40 + 7 * i);
                jobs.add(switch (i % 3) {
                    case 0 -> () -> chunkKv(compressed, p);
                    case 1 -> () -> chunkKv(full, p);
                    default -> () -> stock(p);
                });
            }
            List<String> alone = jobs.stream().map(Supplier::get).toList();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<String>> together = jobs.stream().map(job -> pool.submit(job::get)).toList();
                for (int i = 0; i < jobs.size(); i++) assertEquals(alone.get(i), BoundedWait.get(together.get(i), 120, "job " + i), "job " + i);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aListenerMayUseTheModelFromAnotherThreadWithoutDeadlock() {
        // Jlama's Generator.generate used to hold the model's monitor for the whole reply, callbacks included.
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full())) {
            m.generate(UUID.randomUUID(), PromptContext.of("the cat sat"), 0f, 3,
                    (text, millis) -> BoundedWait.get(other.submit(() -> m.openSession().close()), 20, "opening a session from a callback"));
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void aSecondGenerationOnABusySessionIsRefused() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full()); KvSession s = m.openSession()) {
            AtomicReference<Throwable> second = new AtomicReference<>();
            s.generate(prompt(1, 20), GenerationOptions.maxTokens(2), (text, generated, nanos) -> {
                if (second.get() == null) {
                    second.set(assertThrows(IllegalStateException.class,
                            () -> s.generate(prompt(2, 5), GenerationOptions.maxTokens(1), TextListener.NONE)));
                }
            });
            assertTrue(second.get().getMessage().contains("already generating"), second.get().getMessage());
        }
    }

    @Test
    void anInterruptStopsTheGenerationBetweenTokensAndTheSessionGoesOn() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full()); KvSession s = m.openSession()) {
            int[] p = prompt(3, 30);
            GenerationResult r = s.generate(p, GenerationOptions.maxTokens(50), (text, generated, nanos) -> {
                if (generated == 2) Thread.currentThread().interrupt();
            });
            assertTrue(Thread.interrupted(), "the interrupt status stays set");
            assertEquals(StopReason.INTERRUPTED, r.stopReason());
            assertEquals(2, r.generatedTokens());
            assertEquals(p.length + 1, s.position(), "the second token was sampled, not fed");
            GenerationResult next = s.generate(new int[] {r.lastSampledToken()}, GenerationOptions.maxTokens(2), TextListener.NONE);
            assertEquals(StopReason.MAX_TOKENS, next.stopReason());
            assertEquals(p.length + 3, s.position());
        }
    }

    @Test
    void aThreadWaitingForTheModelLockCanBeInterrupted() throws Exception {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full()); KvSession s = m.openSession()) {
            ReentrantLock lock = ModelLock.of(LLAMA.model());
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
            Thread waiter = new Thread(() -> {
                try {
                    s.prefill(prompt(4, 10));
                } catch (Throwable t) {
                    thrown.set(t);
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                }
            });
            lock.lock();
            try {
                waiter.start();
                while (!lock.hasQueuedThread(waiter)) Thread.onSpinWait();
                waiter.interrupt();
                waiter.join(20_000);
            } finally {
                lock.unlock();
            }
            assertFalse(waiter.isAlive(), "the interrupted waiter returned while the lock was still held");
            assertInstanceOf(CancellationException.class, thrown.get());
            assertTrue(stillInterrupted.get());
            assertEquals(0, s.position(), "nothing ran");
        }
    }

    @Test
    void anInterruptDuringColdTierIoLeavesTheDiskTierUsable() {
        // A FileChannel is closed for good by an interrupt during its I/O: the session's recall=disk tier broke.
        try (DiskColdTier tier = DiskColdTier.open(io.github.chunkkv.simd.Kernels.preferred(), 1, 4, 2, 0)) {
            ColdRows rows = new ColdRows(new int[] {3}, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, new float[] {0.5f, 2f, 1f, 3f});
            Thread.currentThread().interrupt();
            try {
                tier.store(0, rows);
                ColdRows back = tier.rows(0);
                assertArrayEquals(rows.codes(), back.codes());
                assertArrayEquals(rows.scales(), back.scales());
            } finally {
                assertTrue(Thread.interrupted());
            }
            tier.store(0, new ColdRows(new int[] {5}, new byte[8], new float[4]));
            assertEquals(2, tier.rowCount(0));
        }
    }

    @Test
    void theLeastRecentlyUsedSessionIsClosedBeyondTheBound() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full())) {
            assertEquals(ChunkKvModel.DEFAULT_MAX_OPEN_SESSIONS, m.maxOpenSessions());
            m.setMaxOpenSessions(2);
            KvSession a = m.openSession(), b = m.openSession();
            a.prefill(prompt(5, 4)); // a is now more recent than b
            KvSession c = m.openSession();
            assertTrue(b.isClosed());
            assertFalse(a.isClosed() || c.isClosed());
            assertEquals(2, m.openSessions());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.prefill(prompt(6, 4)));
            assertTrue(e.getMessage().contains("least recently used of 2 open sessions"), e.getMessage());
            for (int i = 0; i < 1000; i++) m.generate(UUID.randomUUID(), PromptContext.of("hi"), 0f, 1, (t, ms) -> {});
            assertEquals(2, m.openSessions(), "un-closed Generator sessions stay bounded");
            m.setMaxOpenSessions(1);
            assertEquals(1, m.openSessions());
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> m.setMaxOpenSessions(0));
            assertTrue(bad.getMessage().contains("maxOpenSessions must be in [1, 1048576], got 0"), bad.getMessage());
        }
    }

    @Test
    void aClosedModelRefusesNewSessions() {
        ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full());
        KvSession s = m.openSession();
        m.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.prefill(prompt(7, 3)));
        assertTrue(e.getMessage().contains("its ChunkKvModel was closed"), e.getMessage());
        assertThrows(IllegalStateException.class, m::openSession);
    }

    @Test
    void layerLookupsNameTheLayerRange() {
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.full()); KvSession s = m.openSession()) {
            for (int layer : new int[] {-1, spec.layers(), 99}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.cachedRows(layer));
                assertEquals("layer must be in [0, " + spec.layers() + "), got " + layer, e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> s.cachedPositions(layer));
                assertThrows(IllegalArgumentException.class, () -> s.coldRows(layer));
                assertThrows(IllegalArgumentException.class, () -> s.coldPositions(layer));
            }
        }
    }

    @Test
    void aContextTooShortForTheKvHeadsIsRefusedWithoutNegativeLimits(@TempDir Path dir) {
        TinyModels.Spec tooShort = new TinyModels.Spec("llama", 1, 64, 4, 4, 96, 4, false, 3);
        AbstractModel small = TinyModels.load(TinyModels.write(tooShort, dir.resolve("short")));
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChunkKvJlama.wrap(small, ChunkKvConfig.full()));
            assertTrue(e.getMessage().contains("context_length must be at least 7"), e.getMessage());
            assertFalse(e.getMessage().matches(".*-\\d.*"), "no negative limit in: " + e.getMessage());
        } finally {
            small.close();
        }
    }

    @Test
    void theSameLockForEveryCallerOfOneModel() {
        assertTrue(ModelLock.of(LLAMA.model()) == ModelLock.of(LLAMA.model()));
        CompletableFuture<ReentrantLock> elsewhere = CompletableFuture.supplyAsync(() -> ModelLock.of(LLAMA.model()));
        assertTrue(ModelLock.of(LLAMA.model()) == elsewhere.join());
    }
}
