package io.github.chunkkv.langchain4j.spi;

import io.github.chunkkv.langchain4j.ChunkKvJlamaStreamingChatModel;
import java.util.function.Supplier;

/** The streaming twin of {@link ChunkKvJlamaChatModelBuilderFactory}, for {@link ChunkKvJlamaStreamingChatModel#builder()}. */
public interface ChunkKvJlamaStreamingChatModelBuilderFactory extends Supplier<ChunkKvJlamaStreamingChatModel.Builder> {}
