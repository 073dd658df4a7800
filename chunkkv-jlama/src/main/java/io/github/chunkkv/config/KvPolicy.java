package io.github.chunkkv.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The cache policies, by the name every command, spec string and builder uses. */
public enum KvPolicy {
    FULL("full"),
    CHUNKKV("chunkkv"),
    SNAPKV("snapkv"),
    H2O("h2o"),
    STREAMINGLLM("streamingllm"),
    PYRAMIDKV("pyramidkv"),
    RANDOM("random");

    private final String specName;

    KvPolicy(String specName) {
        this.specName = specName;
    }

    public String specName() {
        return specName;
    }

    public static KvPolicy fromName(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (KvPolicy p : values()) {
            if (p.specName.equals(wanted)) return p;
        }
        throw new IllegalArgumentException("policy must be one of " + names() + ", got '" + name + "'");
    }

    public static String names() {
        return Arrays.stream(values()).map(KvPolicy::specName).collect(Collectors.joining(", "));
    }
}
