package io.github.chunkkv.store.redis;

import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.StoreLimits;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KvCacheStore} on Redis, through one thread-safe Lettuce connection.
 *
 * <p>Layout of an entry {@code K}: its value is cut into chunks of at most {@code chunkBytes} (a big value in one
 * Redis string would hold Redis' single command thread for its whole transfer), stored as {@code {K}:<generation>:<i>};
 * then the manifest {@code {K}} = {@code <generation>:<chunks>:<length>:<crc32c>} is set, which publishes them. A
 * writer uses a fresh random generation, so concurrent writers of one key never mix chunks: the last manifest set
 * wins, and whoever replaces a manifest deletes the chunks it pointed to. A reader reads the manifest, then its chunks
 * in one {@code MGET}; when a chunk is gone it reads the manifest again: a new one was published meanwhile (read that),
 * or the same one lost a chunk (evicted: the entry is dropped, but only while that manifest is still there). Every
 * key carries the time to live ({@code PX}); the braces are a Redis Cluster hash tag, so an entry's manifest and
 * chunks live on one shard and one {@code MGET} reaches them. Indexes are Redis sets.
 *
 * <p>Commands time out after {@code timeout} and fail at once while the connection is down (Lettuce reconnects in the
 * background), so a dead Redis costs a caller one failed command, not a hang.
 */
public final class RedisKvCacheStore implements KvCacheStore {
    /** Chunk size unless told otherwise: 1 MiB. */
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(RedisKvCacheStore.class);
    /** Deletes KEYS[1] when it still holds ARGV[1], atomically (Redis runs a script without interleaving commands). */
    private static final String DELETE_IF_UNCHANGED = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";
    /** A reader that finds chunks gone follows this many newer manifests before it gives up with a miss. */
    private static final int MAX_REPLACED_READS = 3;

    /** What a manifest says. */
    private record Manifest(String generation, int chunks, int length, int crc) {
        byte[] encode() {
            return (generation + ":" + chunks + ":" + length + ":" + crc).getBytes(StandardCharsets.US_ASCII);
        }

        static Optional<Manifest> decode(byte[] bytes) {
            String[] f = new String(bytes, StandardCharsets.US_ASCII).split(":");
            try {
                Manifest m = new Manifest(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]));
                return f.length == 4 && m.chunks >= 0 && m.length >= 0 ? Optional.of(m) : Optional.empty();
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }
    }

    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final RedisCommands<byte[], byte[]> redis;
    private final StoreLimits limits;
    private final int chunkBytes;
    private final Duration timeout;

    private RedisKvCacheStore(ClientResources resources, RedisClient client, StatefulRedisConnection<byte[], byte[]> connection, StoreLimits limits, int chunkBytes,
            Duration timeout) {
        this.resources = resources;
        this.client = client;
        this.connection = connection;
        this.redis = connection.sync();
        this.limits = limits;
        this.chunkBytes = chunkBytes;
        this.timeout = timeout;
    }

    /**
     * Connects to {@code uri} (e.g. {@code redis://127.0.0.1:6379}).
     *
     * @param chunkBytes the largest Redis value written, in [1, 512 MiB)
     * @param timeout how long one command may take; positive
     * @throws io.lettuce.core.RedisConnectionException when Redis cannot be reached now
     */
    public static RedisKvCacheStore connect(String uri, StoreLimits limits, int chunkBytes, Duration timeout) {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(limits, "limits");
        if (chunkBytes < 1 || chunkBytes >= 512 << 20) throw new IllegalArgumentException("chunkBytes must be in [1, 512 MiB), got " + chunkBytes);
        if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        RedisURI redisUri = RedisURI.create(uri);
        redisUri.setTimeout(timeout);
        // Reconnect attempts at most a second apart (Lettuce's default backs off to 30 s): a restarted Redis is used again
        // soon, and until then every command fails at once.
        ClientResources resources = ClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
        RedisClient client = RedisClient.create(resources, redisUri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .build());
        try {
            return new RedisKvCacheStore(resources, client, client.connect(ByteArrayCodec.INSTANCE), limits, chunkBytes, timeout);
        } catch (RuntimeException e) {
            client.shutdown();
            resources.shutdown();
            throw e;
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        byte[] raw = redis.get(manifestKey(key));
        for (int attempt = 0; raw != null; attempt++) {
            Optional<Manifest> manifest = Manifest.decode(raw);
            if (manifest.isEmpty()) return drop(key, raw, null, "its manifest is unreadable");
            Manifest m = manifest.get();
            List<KeyValue<byte[], byte[]>> chunks = m.chunks() == 0 ? List.of() : redis.mget(chunkKeys(key, m).toArray(byte[][]::new));
            if (chunks.stream().anyMatch(c -> !c.hasValue())) {
                byte[] now = redis.get(manifestKey(key));
                // the same manifest twice with a chunk gone: evicted; a new one: replaced meanwhile, read that one
                if (Arrays.equals(now, raw) || attempt == MAX_REPLACED_READS) return drop(key, raw, m, "chunks are missing (evicted)");
                raw = now;
                continue;
            }
            byte[] value = new byte[m.length()];
            int at = 0;
            for (KeyValue<byte[], byte[]> c : chunks) {
                byte[] part = c.getValue();
                if (at + part.length > value.length) return drop(key, raw, m, "its chunks hold more bytes than its manifest says");
                System.arraycopy(part, 0, value, at, part.length);
                at += part.length;
            }
            if (at != value.length) return drop(key, raw, m, "its chunks hold fewer bytes than its manifest says");
            if (crc32c(value) != m.crc()) return drop(key, raw, m, "its CRC32C does not match its content");
            return Optional.of(value);
        }
        return Optional.empty();
    }

    /**
     * Deletes the entry whose manifest read {@code raw}, and its chunks ({@code m}, when the manifest was readable), only
     * if that manifest is still there: a writer may have published a new entry since it was read, and a reader must not
     * drop that one for what was wrong with the one it replaced. A miss either way.
     */
    private Optional<byte[]> drop(String key, byte[] raw, Manifest m, String why) {
        Long deleted = redis.eval(DELETE_IF_UNCHANGED, ScriptOutputType.INTEGER, new byte[][] {manifestKey(key)}, raw);
        if (deleted != null && deleted == 1) {
            LOG.warn("dropped Redis KV cache entry {}: {}", key, why);
            if (m != null) deleteChunks(key, m);
        }
        return Optional.empty();
    }

    @Override
    public void put(String key, byte[] value) {
        limits.checkEntrySize(key, value);
        Manifest m = new Manifest(Long.toHexString(ThreadLocalRandom.current().nextLong()), (value.length + chunkBytes - 1) / chunkBytes,
                value.length, crc32c(value));
        SetArgs ttl = SetArgs.Builder.px(limits.timeToLive());
        List<byte[]> keys = chunkKeys(key, m);
        List<RedisFuture<String>> writes = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            int from = i * chunkBytes;
            writes.add(connection.async().set(keys.get(i), Arrays.copyOfRange(value, from, Math.min(value.length, from + chunkBytes)), ttl));
        }
        LettuceFutures.awaitAll(timeout, writes.toArray(RedisFuture[]::new)); // pipelined: one round trip's latency
        byte[] replaced = redis.setGet(manifestKey(key), m.encode(), ttl);
        if (replaced != null) Manifest.decode(replaced).filter(old -> !old.generation().equals(m.generation())).ifPresent(old -> deleteChunks(key, old));
    }

    @Override
    public void delete(String key) {
        byte[] raw = redis.getdel(manifestKey(key));
        if (raw != null) Manifest.decode(raw).ifPresent(m -> deleteChunks(key, m));
    }

    private void deleteChunks(String key, Manifest m) {
        if (m.chunks() > 0) redis.del(chunkKeys(key, m).toArray(byte[][]::new));
    }

    @Override
    public void addToIndex(String indexKey, String member) {
        byte[] k = bytes(indexKey);
        redis.sadd(k, bytes(member));
        redis.pexpire(k, limits.timeToLive().toMillis());
    }

    @Override
    public void removeFromIndex(String indexKey, String member) {
        redis.srem(bytes(indexKey), bytes(member));
    }

    @Override
    public Set<String> index(String indexKey) {
        Set<String> members = new HashSet<>();
        for (byte[] m : redis.smembers(bytes(indexKey))) members.add(new String(m, StandardCharsets.UTF_8));
        return members;
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
        resources.shutdown();
    }

    private static byte[] manifestKey(String key) {
        return bytes("{" + key + "}");
    }

    private static List<byte[]> chunkKeys(String key, Manifest m) {
        List<byte[]> keys = new ArrayList<>(m.chunks());
        for (int i = 0; i < m.chunks(); i++) keys.add(bytes("{" + key + "}:" + m.generation() + ":" + i));
        return keys;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int crc32c(byte[] value) {
        CRC32C crc = new CRC32C();
        crc.update(value);
        return (int) crc.getValue();
    }
}
