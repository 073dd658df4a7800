package io.github.chunkkv.config;

import java.util.Locale;

/** Where evicted rows go: nowhere (the paper's one-shot eviction), a compact in-memory tier, or a per-session file. */
public enum Recall {
    /** Evicted rows are dropped for good: a later question can only see what the first compression kept. */
    OFF,
    /** Evicted rows move to a compact in-memory cold tier; each later prefill re-selects over hot and cold rows. */
    RAM,
    /** As {@link #RAM}, with the cold tier in a per-session temp file, unlinked once opened (it dies with the JVM). */
    DISK;

    /** The name used in policy specs ({@code recall=off|ram|disk}): the constant's name in lower case. */
    public String specName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a spec name, ignoring case and surrounding blanks.
     * @throws IllegalArgumentException when {@code name} is not {@code off}, {@code ram} or {@code disk}
     */
    public static Recall fromName(String name) {
        for (Recall r : values()) {
            if (r.specName().equals(name.trim().toLowerCase(Locale.ROOT))) return r;
        }
        throw new IllegalArgumentException("recall must be one of off, ram, disk, got '" + name + "'");
    }
}
