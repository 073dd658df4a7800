package io.github.chunkkv.langchain4j;

import static dev.langchain4j.internal.Utils.getOrDefault;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import io.github.chunkkv.config.ChunkKvConfig;
import java.util.Objects;

/**
 * Chat request parameters plus what only the ChunkKV Jlama models take: the KV-cache compression, a sampling seed and a
 * repetition penalty (temperature, top-p and top-k are the common parameters). Like every provider's parameters,
 * they merge field by field: {@link #overrideWith} lets the other side's non-null values win, {@link #defaultedBy}
 * keeps this side's. A request without {@code kvCompression} uses the model's default (full KV unless configured).
 */
public class ChunkKvChatRequestParameters extends DefaultChatRequestParameters {
    private final ChunkKvConfig kvCompression;
    private final Integer seed;
    private final Double repetitionPenalty;

    /** Takes the builder's values; use {@link #builder()}. */
    protected ChunkKvChatRequestParameters(Builder builder) {
        super(builder);
        this.kvCompression = builder.kvCompression;
        this.seed = builder.seed;
        this.repetitionPenalty = builder.repetitionPenalty;
    }

    /** The compression configuration, or null when this request leaves it to the model's default. */
    public ChunkKvConfig kvCompression() {
        return kvCompression;
    }

    /** The seed of this request's sampling (reproducible draws), or null for the model's own random generator. */
    public Integer seed() {
        return seed;
    }

    /** The repetition penalty (> 0, 1 = none), or null for none. */
    public Double repetitionPenalty() {
        return repetitionPenalty;
    }

    @Override
    public ChunkKvChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public ChunkKvChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof ChunkKvChatRequestParameters that && Objects.equals(kvCompression, that.kvCompression)
                && Objects.equals(seed, that.seed) && Objects.equals(repetitionPenalty, that.repetitionPenalty);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), kvCompression, seed, repetitionPenalty);
    }

    @Override
    public String toString() {
        return "ChunkKvChatRequestParameters{kvCompression=" + kvCompression + ", seed=" + seed + ", repetitionPenalty="
                + repetitionPenalty + ", " + super.toString() + "}";
    }

    /** An empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link ChunkKvChatRequestParameters}; every value is optional. */
    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private ChunkKvConfig kvCompression;
        private Integer seed;
        private Double repetitionPenalty;

        /** An empty builder, as {@link ChunkKvChatRequestParameters#builder()} returns. */
        public Builder() {}

        /** Copies every non-null value of {@code parameters}, the ChunkKV ones too when they carry them. */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof ChunkKvChatRequestParameters p) {
                kvCompression(getOrDefault(p.kvCompression(), kvCompression));
                seed(getOrDefault(p.seed(), seed));
                repetitionPenalty(getOrDefault(p.repetitionPenalty(), repetitionPenalty));
            }
            return this;
        }

        /** Seeds this request's sampling, so that the same request draws the same reply; null: unseeded. */
        public Builder seed(Integer seed) {
            this.seed = seed;
            return this;
        }

        /** Penalizes tokens already in the conversation: > 0, 1 = none, above 1 discourages repeats; null: none. */
        public Builder repetitionPenalty(Double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        /** KV-cache compression for this request; {@link ChunkKvConfig#full()} turns it off. */
        public Builder kvCompression(ChunkKvConfig kvCompression) {
            this.kvCompression = kvCompression;
            return this;
        }

        /** KV-cache compression as a spec string such as {@code "snapkv:keep=0.2"} or {@code "chunkkv:keep=0.1,reuse=2"}. */
        public Builder kvCompression(String spec) {
            return kvCompression(CompressionSpecs.parse(spec));
        }

        /** The parameters. */
        @Override
        public ChunkKvChatRequestParameters build() {
            return new ChunkKvChatRequestParameters(this);
        }
    }
}
