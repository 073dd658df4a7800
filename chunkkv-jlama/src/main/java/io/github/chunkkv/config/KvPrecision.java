package io.github.chunkkv.config;

import java.util.Locale;

/**
 * How hot cache rows are stored: float32, bfloat16 (2 bytes a value, as stock Jlama's cache in BF16 working memory),
 * or Q8 (1 byte a value plus one float scale per KV head of a row). Attention and scoring read the rows in place.
 */
public enum KvPrecision {
    F32,
    BF16,
    Q8;

    public String specName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static KvPrecision fromName(String name) {
        for (KvPrecision p : values()) {
            if (p.specName().equals(name.trim().toLowerCase(Locale.ROOT))) return p;
        }
        throw new IllegalArgumentException("kv must be one of f32, bf16, q8, got '" + name + "'");
    }
}
