package io.github.chunkkv.eval;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** How the questions about one shared context reach the model. */
public enum MultiturnMode {
    /** Successive turns of one session: the context with the first question, then one question per turn. */
    TURNS,
    /** Independent requests, each from a fresh load of a snapshot of the context prefilled once without a question. */
    REQUESTS;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code turns}, {@code requests}, or {@code both} for every mode. */
    public static List<MultiturnMode> fromName(String name) {
        if (name.equals("both")) return List.of(values());
        return Arrays.stream(values()).filter(m -> m.label().equals(name)).map(List::of).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--mode must be one of turns, requests, both, got '" + name + "'"));
    }
}
