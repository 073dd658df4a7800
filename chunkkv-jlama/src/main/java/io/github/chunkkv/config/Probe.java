package io.github.chunkkv.config;

import java.util.Locale;

/**
 * What scores the compression of a session's first prefill, the shared context that later questions will ask about.
 * Later prefills are turns with their own question and are always scored by their own window.
 */
public enum Probe {
    /** The prompt's own last {@code window} tokens (for a document prefilled alone: its tail). */
    NONE,
    /**
     * KVzip's reconstruction probe: "Repeat the previous context:" followed by the context itself, teacher-forced,
     * appended only to be observed and then dropped; a position is worth the attention the reconstruction pays it.
     */
    REPEAT;

    /** The name used in policy specs ({@code probe=none|repeat}): the constant's name in lower case. */
    public String specName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a spec name, ignoring case and surrounding blanks.
     * @throws IllegalArgumentException when {@code name} is not {@code none} or {@code repeat}
     */
    public static Probe fromName(String name) {
        for (Probe p : values()) {
            if (p.specName().equals(name.trim().toLowerCase(Locale.ROOT))) return p;
        }
        throw new IllegalArgumentException("probe must be one of none, repeat, got '" + name + "'");
    }
}
