package io.github.chunkkv.examples;

import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import java.util.Locale;

/**
 * Totals of one demo run (one KV policy over all questions), printed as the machine-readable line
 * {@code demo policy=chunkkv keep=0.1 correct=K total=N kv_bytes=B kv_bytes_full=F decode_ms_per_token=D}.
 * {@code kv_bytes} is the cache after compression and {@code kv_bytes_full} the same cache uncompressed, both the mean
 * per question (each question is its own conversation); {@code decode_ms_per_token} is decode time over all answer
 * tokens. Questions without a reference answer count in the means but not in {@code total}.
 */
public final class RunSummary {
    private final ChunkKvConfig policy;
    private int correct;
    private int total;
    private int answered;
    private long kvBytes;
    private long kvBytesFull;
    private double decodeMillis;
    private long decodedTokens;

    public RunSummary(ChunkKvConfig policy) {
        this.policy = policy;
    }

    /** Adds one answered question; {@code correct} is null when there is no reference answer to compare with. */
    public void add(ChatResponse response, Boolean correct) {
        ChunkKvChatResponseMetadata kv = KvReport.metadata(response);
        answered++;
        kvBytes += kv.kvBytesAfter();
        kvBytesFull += kv.kvBytesBefore();
        decodeMillis += kv.decodeMillis();
        decodedTokens += response.tokenUsage() == null ? 0 : response.tokenUsage().outputTokenCount();
        if (correct != null) {
            total++;
            if (correct) this.correct++;
        }
    }

    public int correct() {
        return correct;
    }

    public int total() {
        return total;
    }

    public String line() {
        return String.format(Locale.ROOT, "demo policy=%s %s correct=%d total=%d kv_bytes=%d kv_bytes_full=%d decode_ms_per_token=%.3f",
                policy.policy(), size(policy), correct, total, mean(kvBytes), mean(kvBytesFull),
                decodedTokens == 0 ? 0.0 : decodeMillis / decodedTokens);
    }

    /** {@code keep=R} for ratio-sized caches (1.0 for the full cache), {@code budget=B} for token budgets. */
    private static String size(ChunkKvConfig policy) {
        if (policy.isFull()) return "keep=1.0";
        return policy.usesRatio() ? "keep=" + policy.keepRatio() : "budget=" + policy.budget();
    }

    private long mean(long sum) {
        return answered == 0 ? 0 : Math.round((double) sum / answered);
    }
}
