package io.github.chunkkv.config;

import java.util.Locale;

/** Where evicted rows go: nowhere (the paper's one-shot eviction), a compact in-memory tier, or a per-session file. */
public enum Recall {
    OFF,
    RAM,
    DISK;

    public String specName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Recall fromName(String name) {
        for (Recall r : values()) {
            if (r.specName().equals(name.trim().toLowerCase(Locale.ROOT))) return r;
        }
        throw new IllegalArgumentException("recall must be one of off, ram, disk, got '" + name + "'");
    }
}
