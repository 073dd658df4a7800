package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import io.github.chunkkv.jlama.RecallStats;
import java.util.Objects;

/**
 * Response metadata with what the KV cache did for this request. {@code chatResponse.metadata()} of the ChunkKV chat
 * models is always of this type. Its {@link #id()} is the id of the KV session that served the request, the same for
 * every turn that continued that session.
 */
public class ChunkKvChatResponseMetadata extends ChatResponseMetadata {
    private final int promptTokens;
    private final int reusedTokens;
    private final double keptTokens;
    private final long kvBytesBefore;
    private final long kvBytesAfter;
    private final long kvBytesAllocated;
    private final double prefillMillis;
    private final double compressMillis;
    private final double decodeMillis;
    private final String policy;
    private final String workingMemoryType;
    private final String workingQuantizedType;
    private final RecallStats recall;

    /** Takes the builder's values; use {@link #builder()}. */
    protected ChunkKvChatResponseMetadata(Builder builder) {
        super(builder);
        this.promptTokens = builder.promptTokens;
        this.reusedTokens = builder.reusedTokens;
        this.keptTokens = builder.keptTokens;
        this.kvBytesBefore = builder.kvBytesBefore;
        this.kvBytesAfter = builder.kvBytesAfter;
        this.kvBytesAllocated = builder.kvBytesAllocated;
        this.prefillMillis = builder.prefillMillis;
        this.compressMillis = builder.compressMillis;
        this.decodeMillis = builder.decodeMillis;
        this.policy = builder.policy;
        this.workingMemoryType = builder.workingMemoryType;
        this.workingQuantizedType = builder.workingQuantizedType;
        this.recall = builder.recall;
    }

    /** Tokens of the whole rendered prompt of this request (BOS included), reused ones too. */
    public int promptTokens() {
        return promptTokens;
    }

    /** Leading prompt tokens served from an earlier request's cache instead of being prefilled again. */
    public int reusedTokens() {
        return reusedTokens;
    }

    /** Cache rows kept right after this request's compression, mean over layers (all rows when nothing is evicted). */
    public double keptTokens() {
        return keptTokens;
    }

    /** K+V bytes of all layers just before this request's compression. */
    public long kvBytesBefore() {
        return kvBytesBefore;
    }

    /** K+V bytes of all layers right after this request's compression. */
    public long kvBytesAfter() {
        return kvBytesAfter;
    }

    /**
     * K+V bytes the conversation's cache arrays hold at the end of the reply, used or not: {@link #kvBytesAfter()}, the
     * rows the reply added, and at most the growth slack of decoding (an eighth of the rows plus 16 per layer).
     */
    public long kvBytesAllocated() {
        return kvBytesAllocated;
    }

    /** Wall time of prefilling the new prompt tokens, compression included. */
    public double prefillMillis() {
        return prefillMillis;
    }

    /** Part of {@link #prefillMillis()} spent compressing (scoring, selecting, compacting). */
    public double compressMillis() {
        return compressMillis;
    }

    /** Wall time of generating the reply, token by token. */
    public double decodeMillis() {
        return decodeMillis;
    }

    /** The compression spec used, e.g. {@code chunkkv:keep=0.1,chunk=10,...}; {@code full:...} when off. */
    public String policy() {
        return policy;
    }

    /** Jlama's working memory type the model ran with (F32 or BF16). */
    public String workingMemoryType() {
        return workingMemoryType;
    }

    /** Jlama's working quantized type as it resolved it for these weights (e.g. I8 for Q4 weights, else F32 or BF16). */
    public String workingQuantizedType() {
        return workingQuantizedType;
    }

    /**
     * The session's two tiers (hot and cold rows, rows promoted and demoted, re-selection time) after its last
     * re-selection; null for a policy without {@code recall} or {@code cap}.
     */
    public RecallStats recall() {
        return recall;
    }

    @Override
    public Builder toBuilder() {
        return ((Builder) toBuilder(builder()))
                .promptTokens(promptTokens).reusedTokens(reusedTokens).keptTokens(keptTokens)
                .kvBytesBefore(kvBytesBefore).kvBytesAfter(kvBytesAfter).kvBytesAllocated(kvBytesAllocated)
                .prefillMillis(prefillMillis).compressMillis(compressMillis).decodeMillis(decodeMillis)
                .policy(policy).workingMemoryType(workingMemoryType).workingQuantizedType(workingQuantizedType)
                .recall(recall);
    }

    @Override
    public boolean equals(Object o) {
        if (!super.equals(o)) return false;
        ChunkKvChatResponseMetadata that = (ChunkKvChatResponseMetadata) o;
        return promptTokens == that.promptTokens && reusedTokens == that.reusedTokens
                && Double.compare(keptTokens, that.keptTokens) == 0
                && kvBytesBefore == that.kvBytesBefore && kvBytesAfter == that.kvBytesAfter && kvBytesAllocated == that.kvBytesAllocated
                && Double.compare(prefillMillis, that.prefillMillis) == 0
                && Double.compare(compressMillis, that.compressMillis) == 0
                && Double.compare(decodeMillis, that.decodeMillis) == 0
                && Objects.equals(policy, that.policy) && Objects.equals(workingMemoryType, that.workingMemoryType)
                && Objects.equals(workingQuantizedType, that.workingQuantizedType) && Objects.equals(recall, that.recall);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), promptTokens, reusedTokens, keptTokens, kvBytesBefore, kvBytesAfter, kvBytesAllocated,
                prefillMillis, compressMillis, decodeMillis, policy, workingMemoryType, workingQuantizedType, recall);
    }

    @Override
    public String toString() {
        return String.format("ChunkKvChatResponseMetadata{%s, promptTokens=%d, reusedTokens=%d, keptTokens=%.1f, "
                        + "kvBytes=%d->%d, kvBytesAllocated=%d, prefill=%.1fms, compress=%.2fms, decode=%.1fms, policy='%s', working=%s/%s, recall=%s}",
                super.toString(), promptTokens, reusedTokens, keptTokens, kvBytesBefore, kvBytesAfter, kvBytesAllocated,
                prefillMillis, compressMillis, decodeMillis, policy, workingMemoryType, workingQuantizedType, recall);
    }

    /** An empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link ChunkKvChatResponseMetadata}. */
    public static class Builder extends ChatResponseMetadata.Builder<Builder> {
        private int promptTokens;
        private int reusedTokens;
        private double keptTokens;
        private long kvBytesBefore;
        private long kvBytesAfter;
        private long kvBytesAllocated;
        private double prefillMillis;
        private double compressMillis;
        private double decodeMillis;
        private String policy;
        private String workingMemoryType;
        private String workingQuantizedType;
        private RecallStats recall;

        /** An empty builder, as {@link ChunkKvChatResponseMetadata#builder()} returns. */
        public Builder() {}

        /** Sets the whole prompt's token count. */
        public Builder promptTokens(int promptTokens) {
            this.promptTokens = promptTokens;
            return this;
        }

        /** Sets how many leading prompt tokens came from a cached session. */
        public Builder reusedTokens(int reusedTokens) {
            this.reusedTokens = reusedTokens;
            return this;
        }

        /** Sets the mean cache rows per layer after compression. */
        public Builder keptTokens(double keptTokens) {
            this.keptTokens = keptTokens;
            return this;
        }

        /** Sets the K+V bytes before compression. */
        public Builder kvBytesBefore(long kvBytesBefore) {
            this.kvBytesBefore = kvBytesBefore;
            return this;
        }

        /** Sets the K+V bytes after compression. */
        public Builder kvBytesAfter(long kvBytesAfter) {
            this.kvBytesAfter = kvBytesAfter;
            return this;
        }

        /** Sets the K+V bytes the cache's arrays hold at the end of the reply, used or not. */
        public Builder kvBytesAllocated(long kvBytesAllocated) {
            this.kvBytesAllocated = kvBytesAllocated;
            return this;
        }

        /** Sets the prefill time, compression included. */
        public Builder prefillMillis(double prefillMillis) {
            this.prefillMillis = prefillMillis;
            return this;
        }

        /** Sets the compression time. */
        public Builder compressMillis(double compressMillis) {
            this.compressMillis = compressMillis;
            return this;
        }

        /** Sets the decode time. */
        public Builder decodeMillis(double decodeMillis) {
            this.decodeMillis = decodeMillis;
            return this;
        }

        /** Sets the compression spec used. */
        public Builder policy(String policy) {
            this.policy = policy;
            return this;
        }

        /** Jlama's working memory type the model ran with, e.g. {@code F32}. */
        public Builder workingMemoryType(String workingMemoryType) {
            this.workingMemoryType = workingMemoryType;
            return this;
        }

        /** Jlama's working quantized type the model ran with (what it resolved for its weights), e.g. {@code I8}. */
        public Builder workingQuantizedType(String workingQuantizedType) {
            this.workingQuantizedType = workingQuantizedType;
            return this;
        }

        /** Sets the session's tiers after its last re-selection; null without recall or cap. */
        public Builder recall(RecallStats recall) {
            this.recall = recall;
            return this;
        }

        /** The metadata. */
        @Override
        public ChunkKvChatResponseMetadata build() {
            return new ChunkKvChatResponseMetadata(this);
        }
    }
}
