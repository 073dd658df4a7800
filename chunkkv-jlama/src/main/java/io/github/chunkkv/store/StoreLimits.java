package io.github.chunkkv.store;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounds every backend applies: how long an entry or index lives after it was last written, and the largest entry it
 * accepts (larger ones are refused rather than stored, so one huge conversation cannot push every other one out).
 *
 * @param timeToLive how long entries and indexes live after their last write; at least one millisecond
 * @param maxEntryBytes the largest entry accepted, in bytes; at least 1
 */
public record StoreLimits(Duration timeToLive, long maxEntryBytes) {
    /** One hour, 256 MiB per entry. */
    public static final StoreLimits DEFAULT = new StoreLimits(Duration.ofHours(1), 256L << 20);

    /**
     * Checks both bounds.
     * @throws IllegalArgumentException when {@code timeToLive} is under 1 ms or {@code maxEntryBytes} under 1
     */
    public StoreLimits {
        Objects.requireNonNull(timeToLive, "timeToLive");
        if (timeToLive.toMillis() < 1) throw new IllegalArgumentException("timeToLive must be at least 1 ms, got " + timeToLive);
        if (maxEntryBytes < 1) throw new IllegalArgumentException("maxEntryBytes must be >= 1, got " + maxEntryBytes);
    }

    /** Refuses a value larger than {@link #maxEntryBytes}, naming the key. */
    public void checkEntrySize(String key, byte[] value) {
        if (value.length > maxEntryBytes) {
            throw new IllegalArgumentException("entry " + key + " has " + value.length + " bytes; this store accepts at most maxEntryBytes = "
                    + maxEntryBytes);
        }
    }
}
