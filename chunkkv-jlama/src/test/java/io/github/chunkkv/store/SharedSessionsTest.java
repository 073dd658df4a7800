package io.github.chunkkv.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.Sampler;
import io.github.chunkkv.testing.SameLogits;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.event.EventRecordingLogger;
import org.slf4j.event.SubstituteLoggingEvent;
import org.slf4j.helpers.SubstituteLogger;

/** Two model instances (separately loaded weights and caches) sharing sessions through a directory store. */
class SharedSessionsTest {
    @TempDir
    static Path models;

    @TempDir
    Path dir;

    static final TinyModels.Spec SPEC = TinyModels.llama();
    static final ChunkKvConfig CONFIG = ChunkKvConfig.parse("chunkkv:keep=0.2,chunk=4,window=8,recall=ram");
    static AbstractModel jlamaA, jlamaB;

    final Queue<SubstituteLoggingEvent> warnings = new ConcurrentLinkedQueue<>();
    final Logger log = new EventRecordingLogger(new SubstituteLogger("store", warnings, false), warnings);

    @BeforeAll
    static void load() {
        Path folder = TinyModels.write(SPEC, models.resolve("llama"));
        jlamaA = TinyModels.load(folder);
        jlamaB = TinyModels.load(folder);
    }

    @AfterAll
    static void close() {
        jlamaA.close();
        jlamaB.close();
    }

    private static int[] randomTokens(long seed, int n) {
        return new Random(seed).ints(n, 3, SPEC.vocab()).toArray();
    }

    private static int[] concat(int[] a, int[] b) {
        return IntStream.concat(Arrays.stream(a), Arrays.stream(b)).toArray();
    }

    /** A first turn: a 150-token prompt and a 4-token reply. */
    private static KvSession firstTurn(ChunkKvModel m) {
        KvSession s = m.openSession(CONFIG);
        float[] logits = s.prefill(randomTokens(1, 150));
        for (int i = 0; i < 4; i++) logits = s.decode(Sampler.argmax(logits));
        return s;
    }

    @Test
    void anotherInstanceContinuesAStoredSessionExactlyAsTheOriginalWould() {
        try (ChunkKvModel a = ChunkKvJlama.wrap(jlamaA, CONFIG); ChunkKvModel b = ChunkKvJlama.wrap(jlamaB, ChunkKvConfig.full());
                KvCacheStore store = new DirectoryStore(dir, StoreLimits.DEFAULT, 1L << 30);
                SharedSessions sharedA = new SharedSessions(a, store, log); SharedSessions sharedB = new SharedSessions(b, store, log)) {
            KvSession original = firstTurn(a);
            sharedA.publish(original);
            int[] nextTurn = randomTokens(2, 20);
            int[] prompt = concat(original.tokens(), nextTurn);

            KvSession resumed = sharedB.resume(prompt, CONFIG, 0).orElseThrow();
            assertArrayEquals(original.tokens(), resumed.tokens());
            SameLogits.assertSame(original.prefill(nextTurn), resumed.prefill(nextTurn), "the next turn");
            assertEquals(original.kvBytes(), resumed.kvBytes());

            assertEquals(Optional.empty(), sharedB.resume(prompt, CONFIG, 154), "no stored session is longer than 154 tokens");
            assertEquals(Optional.empty(), sharedB.resume(randomTokens(3, 200), CONFIG, 0), "another conversation");
            assertEquals(Optional.empty(), sharedB.resume(prompt, ChunkKvConfig.parse("snapkv:keep=0.2,window=8,recall=ram"), 0),
                    "another policy");
            assertTrue(warnings.isEmpty(), warnings.toString());
        }
    }

    /** One instance and its store, for the tests that need no second instance. */
    private record Instance(ChunkKvModel model, KvCacheStore store, SharedSessions shared) implements AutoCloseable {
        @Override
        public void close() {
            shared.close();
            store.close();
            model.close();
        }
    }

    private Instance instance() {
        ChunkKvModel model = ChunkKvJlama.wrap(jlamaA, CONFIG);
        KvCacheStore store = new DirectoryStore(dir, StoreLimits.DEFAULT, 1L << 30);
        return new Instance(model, store, new SharedSessions(model, store, log));
    }

    @Test
    void aTurnWrittenBehindReplacesTheEntryOfTheTurnBefore() {
        try (Instance a = instance()) {
            KvSession s = firstTurn(a.model());
            String first = a.shared().publish(s);
            s.prefill(randomTokens(4, 30));
            a.shared().publishLater(s);
            a.shared().awaitWrites(30_000);
            assertEquals(Optional.empty(), a.store().get(first));
            assertTrue(a.store().get(a.shared().entryKey(s.tokens(), CONFIG)).isPresent());
        }
    }

    @Test
    void anEntryThatDoesNotLoadIsDroppedWithAWarningAndNeverUsed() {
        try (Instance a = instance()) {
            KvSession s = firstTurn(a.model());
            String key = a.shared().publish(s);
            byte[] snapshot = a.store().get(key).orElseThrow();
            snapshot[snapshot.length / 2] ^= 1; // the store's own checksum is rewritten: only the snapshot's CRC32C catches it
            a.store().put(key, snapshot);
            int[] prompt = concat(s.tokens(), randomTokens(5, 10));
            assertEquals(Optional.empty(), a.shared().resume(prompt, CONFIG, 0));
            assertEquals(Optional.empty(), a.store().get(key));
            assertTrue(warnings.stream().anyMatch(e -> e.getMessage().startsWith("dropped a bad KV cache store entry")), warnings.toString());
        }
    }

    @Test
    void sessionsShorterThanTheAnchorAreNotShared() {
        try (Instance a = instance()) {
            KvSession s = a.model().openSession(CONFIG);
            s.prefill(randomTokens(6, SharedSessions.ANCHOR_TOKENS - 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.shared().publish(s));
            assertEquals("a shared session needs at least 64 tokens, this one has 63", e.getMessage());
        }
    }
}
