package io.github.chunkkv.store.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.KvCacheStoreContract;
import io.github.chunkkv.store.StoreLimits;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The store contract on a real redis-server, plus what is Redis' own: chunk keys, a corrupted chunk, a crash. */
class RedisKvCacheStoreTest extends KvCacheStoreContract {
    static RedisServer server;
    static RedisClient client;
    static StatefulRedisConnection<String, String> connection;
    static RedisCommands<String, String> redis;

    @BeforeAll
    static void startRedis() {
        server = RedisServer.startOrSkip();
        client = RedisClient.create(server.uri());
        connection = client.connect();
        redis = connection.sync();
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (connection != null) connection.close();
        if (client != null) client.shutdown();
        if (server != null) server.close();
    }

    @BeforeEach
    void empty() {
        redis.flushall();
    }

    @Override
    protected KvCacheStore open(StoreLimits limits, int chunkBytes) {
        return RedisKvCacheStore.connect(server.uri(), limits, chunkBytes, Duration.ofSeconds(2));
    }

    @Override
    protected void afterConcurrentWriters(KvCacheStore store) {
        // the manifest and the chunks of the last write; every replaced generation was deleted by its replacer
        List<String> keys = redis.keys("*");
        String generation = redis.get("{shared}").split(":")[0];
        assertTrue(keys.stream().allMatch(k -> k.equals("{shared}") || k.startsWith("{shared}:" + generation + ":")), keys.toString());
    }

    @Test
    void valuesAreCutIntoBoundedChunksThatCarryTheTimeToLive() {
        try (KvCacheStore store = open(new StoreLimits(Duration.ofMinutes(10), 1 << 20), 1000)) {
            store.put("k", randomBytes(1, 3500));
            List<String> chunks = redis.keys("{k}:*");
            assertEquals(4, chunks.size());
            for (String c : chunks) {
                assertTrue(redis.strlen(c) <= 1000);
                assertTrue(redis.pttl(c) > 0 && redis.pttl(c) <= 600_000);
            }
            assertTrue(redis.pttl("{k}") > 0);
        }
    }

    @Test
    void aCorruptedChunkDropsTheWholeEntry() {
        try (KvCacheStore store = open(StoreLimits.DEFAULT, 1000)) {
            byte[] value = randomBytes(2, 3500);
            store.put("k", value);
            String chunk = redis.keys("{k}:*").get(0);
            redis.setrange(chunk, 10, "\u0001"); // same length, other content: only the checksum can tell
            assertEquals(Optional.empty(), store.get("k"));
            assertEquals(List.of(), redis.keys("*"), "the bad entry is deleted, not left for the next reader");
            store.put("k", value);
            assertArrayEquals(value, store.get("k").orElseThrow());
        }
    }

    @Test
    void aKilledRedisFailsCommandsAtOnceAndARestartedOneIsUsedAgain() throws Exception {
        try (KvCacheStore store = open(StoreLimits.DEFAULT, 1000)) {
            store.put("k", randomBytes(3, 100));
            server.kill();
            assertThrows(RedisException.class, () -> store.get("k"));
            assertThrows(RedisException.class, () -> store.put("k", new byte[10]));
            server.restart();
            connection.close();
            connection = client.connect();
            redis = connection.sync();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (true) { // Lettuce reconnects in the background
                try {
                    assertEquals(Optional.empty(), store.get("k"), "a restarted Redis without persistence is empty");
                    break;
                } catch (RedisException e) {
                    if (System.nanoTime() > deadline) throw e;
                    Thread.sleep(100);
                }
            }
            store.put("k", new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, store.get("k").orElseThrow());
        }
    }
}
