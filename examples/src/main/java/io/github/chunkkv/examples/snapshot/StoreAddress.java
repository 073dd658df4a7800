package io.github.chunkkv.examples.snapshot;

import io.github.chunkkv.store.DirectoryStore;
import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.StoreLimits;
import io.github.chunkkv.store.redis.RedisKvCacheStore;
import java.nio.file.Path;
import java.time.Duration;

/** A {@code --publish} value: a {@code redis://} or {@code rediss://} URI, or a folder for a {@link DirectoryStore}. */
final class StoreAddress {
    private StoreAddress() {}

    static KvCacheStore open(String address, Duration timeToLive) {
        StoreLimits limits = new StoreLimits(timeToLive, StoreLimits.DEFAULT.maxEntryBytes());
        if (address.startsWith("redis://") || address.startsWith("rediss://")) {
            return RedisKvCacheStore.connect(address, limits, RedisKvCacheStore.DEFAULT_CHUNK_BYTES, Duration.ofSeconds(10));
        }
        return new DirectoryStore(Path.of(address), limits, DirectoryStore.DEFAULT_MAX_TOTAL_BYTES);
    }
}
