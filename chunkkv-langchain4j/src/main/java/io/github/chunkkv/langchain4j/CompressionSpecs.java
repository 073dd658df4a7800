package io.github.chunkkv.langchain4j;

import io.github.chunkkv.config.ChunkKvConfig;

/** Turns the user-facing forms of the compression flag into a {@link ChunkKvConfig}, naming the flag on bad input. */
final class CompressionSpecs {
    private CompressionSpecs() {}

    static ChunkKvConfig parse(String spec) {
        try {
            return ChunkKvConfig.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("kvCompression: " + e.getMessage(), e);
        }
    }

    static ChunkKvConfig keepRatio(double keepRatio) {
        try {
            return ChunkKvConfig.chunkKv(keepRatio);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("kvCompression: " + e.getMessage(), e);
        }
    }
}
