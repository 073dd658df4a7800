package io.github.chunkkv.langchain4j;

import static dev.langchain4j.internal.Utils.getOrDefault;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import io.github.chunkkv.config.ChunkKvConfig;
import java.util.Objects;

/**
 * Chat request parameters plus the KV-cache compression to use for this request. Like every provider's parameters,
 * they merge field by field: {@link #overrideWith} lets the other side's non-null values win, {@link #defaultedBy}
 * keeps this side's. A request without {@code kvCompression} uses the model's default (full KV unless configured).
 */
public class ChunkKvChatRequestParameters extends DefaultChatRequestParameters {
    private final ChunkKvConfig kvCompression;

    protected ChunkKvChatRequestParameters(Builder builder) {
        super(builder);
        this.kvCompression = builder.kvCompression;
    }

    /** The compression configuration, or null when this request leaves it to the model's default. */
    public ChunkKvConfig kvCompression() {
        return kvCompression;
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
        return super.equals(o) && Objects.equals(kvCompression, ((ChunkKvChatRequestParameters) o).kvCompression);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), kvCompression);
    }

    @Override
    public String toString() {
        return "ChunkKvChatRequestParameters{kvCompression=" + kvCompression + ", " + super.toString() + "}";
    }

    public static Builder builder() {
        return new Builder();
    }

    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private ChunkKvConfig kvCompression;

        /** Copies every non-null value of {@code parameters}, the compression too when they carry one. */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof ChunkKvChatRequestParameters p) {
                kvCompression(getOrDefault(p.kvCompression(), kvCompression));
            }
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

        @Override
        public ChunkKvChatRequestParameters build() {
            return new ChunkKvChatRequestParameters(this);
        }
    }
}
