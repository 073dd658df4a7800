package io.github.chunkkv.config;

import java.util.Locale;

/**
 * How hot cache rows are stored: float32, bfloat16 (2 bytes a value, as stock Jlama's cache in BF16 working memory),
 * or Q8 (1 byte a value plus one float scale per KV head of a row). Attention and scoring read the rows in place.
 */
public enum KvPrecision {
    /** 4 bytes a value: exact, the reference the other precisions are measured against. */
    F32,
    /** 2 bytes a value: the float32 rounded to its upper 16 bits (to nearest, ties to even). */
    BF16,
    /** 1 byte a value: symmetric int8 codes with one float scale (max |x| / 127) per KV head of a row. */
    Q8;

    /** The name used in policy specs ({@code kv=f32|bf16|q8}): the constant's name in lower case. */
    public String specName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a spec name, ignoring case and surrounding blanks.
     * @throws IllegalArgumentException when {@code name} is not {@code f32}, {@code bf16} or {@code q8}
     */
    public static KvPrecision fromName(String name) {
        for (KvPrecision p : values()) {
            if (p.specName().equals(name.trim().toLowerCase(Locale.ROOT))) return p;
        }
        throw new IllegalArgumentException("kv must be one of f32, bf16, q8, got '" + name + "'");
    }
}
