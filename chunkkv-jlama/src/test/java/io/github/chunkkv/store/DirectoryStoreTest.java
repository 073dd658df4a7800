package io.github.chunkkv.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryStoreTest extends KvCacheStoreContract {
    @TempDir
    Path dir;

    private int opened;

    @Override
    protected KvCacheStore open(StoreLimits limits, int chunkBytes) {
        return new DirectoryStore(dir.resolve("store" + opened++), limits, 64L << 20);
    }

    private static List<Path> entryFiles(Path store) throws IOException {
        try (Stream<Path> files = Files.list(store.resolve("entries"))) {
            return files.toList();
        }
    }

    @Test
    void aCorruptedEntryIsDroppedAndNeverReturned() throws IOException {
        Path folder = dir.resolve("s");
        try (DirectoryStore store = new DirectoryStore(folder, StoreLimits.DEFAULT, 1 << 30)) {
            store.put("k", randomBytes(3, 5000));
            Path file = entryFiles(folder).get(0);
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length - 10] ^= 1;
            Files.write(file, bytes);
            assertEquals(Optional.empty(), store.get("k"));
            assertEquals(List.of(), entryFiles(folder));
        }
    }

    @Test
    void theLeastRecentlyWrittenEntriesGoWhenTheTotalBoundIsPassed() throws Exception {
        try (DirectoryStore store = new DirectoryStore(dir.resolve("s"), new StoreLimits(Duration.ofHours(1), 4000), 10_000)) {
            for (int i = 0; i < 4; i++) {
                store.put("k" + i, randomBytes(i, 3000));
                Thread.sleep(20); // distinct modification times
            }
            // three entries of 3000 bytes and a 20-byte header fit in 10,000 bytes; the fourth pushes the first out
            assertEquals(Optional.empty(), store.get("k0"));
            for (int i = 1; i < 4; i++) assertArrayEquals(randomBytes(i, 3000), store.get("k" + i).orElseThrow());
        }
    }

    @Test
    void aTotalBoundBelowTheEntryBoundIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DirectoryStore(dir, new StoreLimits(Duration.ofHours(1), 4000), 3999));
        assertEquals("maxTotalBytes must be >= maxEntryBytes = 4000, got 3999", e.getMessage());
    }
}
