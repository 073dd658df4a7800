package io.github.chunkkv.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What every {@link KvCacheStore} backend must do; a backend's test extends this and opens the backend. */
public abstract class KvCacheStoreContract {
    /** A fresh, empty store with these limits and values cut into chunks of at most {@code chunkBytes} where it chunks. */
    protected abstract KvCacheStore open(StoreLimits limits, int chunkBytes);

    private static final StoreLimits LIMITS = new StoreLimits(Duration.ofMinutes(5), 1 << 20);

    protected static byte[] randomBytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void entriesRoundTripWholeAcrossChunkSizesAndCanBeReplacedAndDeleted() {
        try (KvCacheStore store = open(LIMITS, 1000)) {
            assertEquals(Optional.empty(), store.get("missing"));
            for (int n : new int[] {0, 1, 999, 1000, 1001, 12_345}) {
                byte[] value = randomBytes(n, n);
                store.put("k" + n, value);
                assertArrayEquals(value, store.get("k" + n).orElseThrow(), n + " bytes");
            }
            byte[] replacement = randomBytes(7, 2500);
            store.put("k12345", replacement);
            assertArrayEquals(replacement, store.get("k12345").orElseThrow());
            store.delete("k12345");
            assertEquals(Optional.empty(), store.get("k12345"));
            store.delete("k12345"); // deleting what is gone is no error
        }
    }

    @Test
    void indexesAddListAndRemoveMembers() {
        try (KvCacheStore store = open(LIMITS, 1000)) {
            assertEquals(Set.of(), store.index("idx"));
            store.addToIndex("idx", "10:ab");
            store.addToIndex("idx", "20:cd");
            store.addToIndex("idx", "20:cd");
            assertEquals(Set.of("10:ab", "20:cd"), store.index("idx"));
            store.removeFromIndex("idx", "10:ab");
            assertEquals(Set.of("20:cd"), store.index("idx"));
        }
    }

    @Test
    void anEntryAboveTheSizeBoundIsRefusedAndNothingIsStored() {
        try (KvCacheStore store = open(new StoreLimits(Duration.ofMinutes(5), 100), 30)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.put("big", new byte[101]));
            assertTrue(e.getMessage().contains("maxEntryBytes = 100"), e.getMessage());
            assertEquals(Optional.empty(), store.get("big"));
            store.put("fits", new byte[100]);
            assertEquals(100, store.get("fits").orElseThrow().length);
        }
    }

    @Test
    void entriesAndIndexesExpireAfterTheirTimeToLive() throws InterruptedException {
        Duration ttl = Duration.ofSeconds(1);
        try (KvCacheStore store = open(new StoreLimits(ttl, 1 << 20), 1000)) {
            long written = System.nanoTime();
            store.put("k", randomBytes(1, 3000));
            store.addToIndex("idx", "m");
            Optional<byte[]> young = store.get("k");
            Set<String> youngIndex = store.index("idx");
            if (System.nanoTime() - written < ttl.toNanos() / 2) { // on a loaded machine the check may come too late to mean anything
                assertTrue(young.isPresent());
                assertEquals(Set.of("m"), youngIndex);
            }
            Thread.sleep(Math.max(0, (written + 2 * ttl.toNanos() - System.nanoTime()) / 1_000_000));
            assertEquals(Optional.empty(), store.get("k"));
            assertEquals(Set.of(), store.index("idx"));
        }
    }

    @Test
    void concurrentWritersOfOneKeyNeverMixTheirValues() throws Exception {
        List<byte[]> written = new ArrayList<>();
        for (int w = 0; w < 4; w++) written.add(randomBytes(100 + w, 3000 + 777 * w)); // 4-6 chunks each, different lengths
        try (KvCacheStore store = open(LIMITS, 1000)) {
            ExecutorService pool = Executors.newFixedThreadPool(5);
            AtomicBoolean writing = new AtomicBoolean(true);
            try {
                List<Future<?>> writers = new ArrayList<>();
                for (byte[] value : written) {
                    writers.add(pool.submit(() -> {
                        for (int i = 0; i < 25; i++) store.put("shared", value);
                    }));
                }
                Future<Integer> reader = pool.submit(() -> {
                    int seen = 0;
                    while (writing.get()) {
                        Optional<byte[]> v = store.get("shared");
                        if (v.isPresent()) {
                            assertTrue(written.stream().anyMatch(w -> Arrays.equals(w, v.get())), "a read returned a mix of writes");
                            seen++;
                        }
                    }
                    return seen;
                });
                for (Future<?> f : writers) f.get();
                writing.set(false);
                assertTrue(reader.get() > 0, "the reader saw no whole value");
            } finally {
                pool.shutdownNow();
            }
            byte[] last = store.get("shared").orElseThrow();
            assertTrue(written.stream().anyMatch(w -> Arrays.equals(w, last)));
            afterConcurrentWriters(store);
        }
    }

    /** A backend's extra checks once concurrent writers are done (e.g. that no replaced chunk is left behind). */
    protected void afterConcurrentWriters(KvCacheStore store) {}
}
