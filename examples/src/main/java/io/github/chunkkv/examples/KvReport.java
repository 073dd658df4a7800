package io.github.chunkkv.examples;

import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import java.util.Locale;

/** Human-readable lines about what the KV cache did for one chat response of a ChunkKV chat model. */
public final class KvReport {
    private KvReport() {}

    /** The ChunkKV metadata of a response from {@code ChunkKvJlamaChatModel} (always present there). */
    public static ChunkKvChatResponseMetadata metadata(ChatResponse response) {
        if (response.metadata() instanceof ChunkKvChatResponseMetadata kv) return kv;
        throw new IllegalArgumentException("the response does not come from a ChunkKV chat model: metadata is " + response.metadata());
    }

    /**
     * E.g. {@code prompt 1502 tok (reused 0) -> kept 182.0/layer | KV 1.15 MiB -> 0.14 MiB (0.15 MiB allocated after
     * decoding) | prefill 612 ms (compress 3.1 ms) | decode 5 tok 40 ms}.
     */
    public static String line(ChatResponse response) {
        ChunkKvChatResponseMetadata kv = metadata(response);
        int outputTokens = response.tokenUsage() == null ? 0 : response.tokenUsage().outputTokenCount();
        return String.format(Locale.ROOT,
                "prompt %d tok (reused %d) -> kept %.1f/layer | KV %s -> %s (%s allocated after decoding) | prefill %.0f ms"
                        + " (compress %.1f ms) | decode %d tok %.0f ms",
                kv.promptTokens(), kv.reusedTokens(), kv.keptTokens(), bytes(kv.kvBytesBefore()), bytes(kv.kvBytesAfter()),
                bytes(kv.kvBytesAllocated()),
                kv.prefillMillis(), kv.compressMillis(), outputTokens, kv.decodeMillis());
    }

    public static String bytes(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024));
    }
}
