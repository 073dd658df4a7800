package io.github.chunkkv.eval;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Needle tasks: one needle, or several similar needles (different keys) of which one is asked for. */
public enum NiahTask {
    SINGLE("single", 1),
    MULTIKEY("multikey", 4);

    private final String label;
    private final int needles;

    NiahTask(String label, int needles) {
        this.label = label;
        this.needles = needles;
    }

    public String label() {
        return label;
    }

    public int needles() {
        return needles;
    }

    public static NiahTask fromName(String name) {
        for (NiahTask t : values()) if (t.label.equals(name.trim().toLowerCase(Locale.ROOT))) return t;
        throw new IllegalArgumentException("task must be one of " + names() + ", got '" + name + "'");
    }

    public static String names() {
        return Arrays.stream(values()).map(NiahTask::label).collect(Collectors.joining(", "));
    }
}
