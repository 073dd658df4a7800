package io.github.chunkkv.langchain4j.spi;

import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import java.util.function.Supplier;

/**
 * Supplies the builder that {@link ChunkKvJlamaChatModel#builder()} returns, so that a framework integration can
 * pre-configure it; found through {@link java.util.ServiceLoader} (LangChain4j's {@code ServiceHelper}), as for
 * LangChain4j's own providers. Without one, {@code builder()} returns a plain builder.
 */
public interface ChunkKvJlamaChatModelBuilderFactory extends Supplier<ChunkKvJlamaChatModel.Builder> {}
