package io.github.chunkkv.langchain4j;

import io.github.chunkkv.config.ChunkKvConfig;
import java.util.Arrays;

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

    /** Whether the spec names the {@code recall} key itself (then it wins over the models' default recall). */
    static boolean namesRecall(String spec) {
        String[] head = spec.trim().split(":", 2);
        return head.length == 2 && Arrays.stream(head[1].split(",")).anyMatch(p -> p.split("=", 2)[0].trim().equalsIgnoreCase("recall"));
    }

    static ChunkKvConfig keepRatio(double keepRatio) {
        try {
            return ChunkKvConfig.chunkKv(keepRatio);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("kvCompression: " + e.getMessage(), e);
        }
    }
}
