package io.github.chunkkv.store;

import java.util.Optional;
import java.util.Set;

/**
 * A key-value store for KV-cache snapshots shared by several processes: entries (opaque bytes, in practice session
 * snapshots) and small indexes (sets of strings) that say which entries exist for a conversation prefix.
 *
 * <p>Contract for every backend: a reader sees an entry whole, as one writer wrote it, or not at all, even while
 * others replace it; every entry is checksummed and one that fails its check is deleted and reported absent, never
 * returned; entries and indexes expire after the backend's time to live; an entry larger than the backend's bound is
 * refused with an {@link IllegalArgumentException}. A backend that cannot be reached throws an unchecked exception:
 * callers (see {@link SharedSessions}) treat that as a miss and carry on without the store.
 */
public interface KvCacheStore extends AutoCloseable {
    /** The entry under {@code key}, verified; empty when absent, expired, or corrupt (then it is deleted). */
    Optional<byte[]> get(String key);

    /** Stores {@code value} under {@code key}, replacing any entry there. */
    void put(String key, byte[] value);

    /** Deletes the entry under {@code key}, if any. */
    void delete(String key);

    /** Adds {@code member} to the index {@code indexKey} and restarts the index's time to live. */
    void addToIndex(String indexKey, String member);

    /** Removes {@code member} from the index {@code indexKey}. */
    void removeFromIndex(String indexKey, String member);

    /** The members of the index {@code indexKey}; empty when it does not exist or has expired. */
    Set<String> index(String indexKey);

    /** Releases the backend's resources (connections, threads). */
    @Override
    void close();
}
