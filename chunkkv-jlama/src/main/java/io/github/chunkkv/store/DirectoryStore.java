package io.github.chunkkv.store;

import io.github.chunkkv.jlama.SnapshotFiles;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The default store: one folder on a local or shared file system. Entries are files named by a hash of their key,
 * holding an expiry time, the length and a CRC32C of the value, then the value; they are written to a temp file and
 * renamed, so readers see a whole entry or none. An index is a folder with one empty file per member, whose
 * modification time is its last write. When the entries together exceed {@code maxTotalBytes}, the least recently
 * written ones are deleted.
 */
public final class DirectoryStore implements KvCacheStore {
    /** The entries' total size a store keeps to unless told otherwise: 4 GiB. */
    public static final long DEFAULT_MAX_TOTAL_BYTES = 4L << 30;
    private static final int MAGIC = 0x434b5645; // "CKVE"
    private static final int HEADER_BYTES = Integer.BYTES + Long.BYTES + Integer.BYTES + Integer.BYTES;

    private final Path entries;
    private final Path indexes;
    private final StoreLimits limits;
    private final long maxTotalBytes;
    private final Clock clock;

    /** A store in {@code dir} with {@link StoreLimits#DEFAULT} and {@link #DEFAULT_MAX_TOTAL_BYTES}. */
    public DirectoryStore(Path dir) {
        this(dir, StoreLimits.DEFAULT, DEFAULT_MAX_TOTAL_BYTES);
    }

    /**
     * A store in {@code dir} with the given bounds.
     *
     * @param dir the store's folder, created when missing
     * @param limits time to live and largest entry
     * @param maxTotalBytes the entries' total size this store keeps to; at least {@code limits.maxEntryBytes()}
     * @throws IllegalArgumentException when {@code maxTotalBytes} is below {@code limits.maxEntryBytes()}
     */
    public DirectoryStore(Path dir, StoreLimits limits, long maxTotalBytes) {
        this(dir, limits, maxTotalBytes, Clock.systemUTC());
    }

    DirectoryStore(Path dir, StoreLimits limits, long maxTotalBytes, Clock clock) {
        if (maxTotalBytes < limits.maxEntryBytes()) {
            throw new IllegalArgumentException("maxTotalBytes must be >= maxEntryBytes = " + limits.maxEntryBytes() + ", got " + maxTotalBytes);
        }
        this.entries = dir.resolve("entries");
        this.indexes = dir.resolve("indexes");
        this.limits = limits;
        this.maxTotalBytes = maxTotalBytes;
        this.clock = clock;
        try {
            Files.createDirectories(entries);
            Files.createDirectories(indexes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the store folder " + dir + ": " + e, e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        Path file = entryFile(key);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read store entry " + file + ": " + e, e);
        }
        Optional<byte[]> value = decode(bytes);
        if (value.isEmpty()) delete(key); // corrupt or expired: dropped, never used
        return value;
    }

    private Optional<byte[]> decode(byte[] bytes) {
        if (bytes.length < HEADER_BYTES) return Optional.empty();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int magic = in.readInt();
            long expiresAt = in.readLong();
            int length = in.readInt(), crc = in.readInt();
            if (magic != MAGIC || length != bytes.length - HEADER_BYTES || expiresAt <= clock.millis()) return Optional.empty();
            byte[] value = in.readNBytes(length);
            return crc32c(value) == crc ? Optional.of(value) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an in-memory stream does not fail
        }
    }

    @Override
    public void put(String key, byte[] value) {
        limits.checkEntrySize(key, value);
        long expiresAt = clock.millis() + limits.timeToLive().toMillis();
        SnapshotFiles.writeAtomically(entryFile(key), out -> {
            DataOutputStream data = new DataOutputStream(out);
            data.writeInt(MAGIC);
            data.writeLong(expiresAt);
            data.writeInt(value.length);
            data.writeInt(crc32c(value));
            data.write(value);
            data.flush();
        });
        evictBeyondTotal();
    }

    /** Deletes the least recently written entries until the rest fit in {@code maxTotalBytes}. */
    private void evictBeyondTotal() {
        List<Path> files = list(entries).stream().sorted(Comparator.comparing(this::modified).reversed()).toList();
        long total = 0;
        for (Path f : files) {
            total += size(f);
            if (total > maxTotalBytes) deleteIfExists(f);
        }
    }

    @Override
    public void delete(String key) {
        deleteIfExists(entryFile(key));
    }

    @Override
    public void addToIndex(String indexKey, String member) {
        Path dir = indexes.resolve(hash(indexKey));
        Path file = dir.resolve(HexFormat.of().formatHex(member.getBytes(StandardCharsets.UTF_8)));
        try {
            Files.createDirectories(dir);
            if (!Files.exists(file)) Files.createFile(file);
            Files.setLastModifiedTime(file, FileTime.fromMillis(clock.millis()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write store index " + dir + ": " + e, e);
        }
    }

    @Override
    public void removeFromIndex(String indexKey, String member) {
        deleteIfExists(indexes.resolve(hash(indexKey)).resolve(HexFormat.of().formatHex(member.getBytes(StandardCharsets.UTF_8))));
    }

    @Override
    public Set<String> index(String indexKey) {
        Path dir = indexes.resolve(hash(indexKey));
        if (!Files.isDirectory(dir)) return Set.of();
        long oldest = clock.millis() - limits.timeToLive().toMillis();
        Set<String> members = new HashSet<>();
        for (Path f : list(dir)) {
            if (modified(f) <= oldest) {
                deleteIfExists(f);
            } else {
                members.add(new String(HexFormat.of().parseHex(f.getFileName().toString()), StandardCharsets.UTF_8));
            }
        }
        return members;
    }

    @Override
    public void close() {}

    private Path entryFile(String key) {
        return entries.resolve(hash(key) + ".kv");
    }

    /** File names carry a hash, not the key: keys may hold characters a file system refuses. */
    private static String hash(String key) {
        return Sha256.hex(key.getBytes(StandardCharsets.UTF_8), 32);
    }

    static int crc32c(byte[] value) {
        CRC32C crc = new CRC32C();
        crc.update(value);
        return (int) crc.getValue();
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> !f.getFileName().toString().startsWith(".")).toList(); // not temp files being written
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e, e);
        }
    }

    /** Last write in epoch millis; 0 for a file deleted meanwhile by another process (sorts as oldest). */
    private long modified(Path f) {
        try {
            return Files.getLastModifiedTime(f).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return 0; // deleted meanwhile by another process
        }
    }

    private static void deleteIfExists(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete store file " + f + ": " + e, e);
        }
    }
}
