package io.github.chunkkv.langchain4j;

import io.github.chunkkv.langchain4j.spi.ChunkKvJlamaChatModelBuilderFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Registered for the tests in META-INF/services: hands out plain builders (so every other test is unaffected) and
 * counts them, which shows that {@code builder()} goes through the registered factory.
 */
public final class CountingBuilderFactory implements ChunkKvJlamaChatModelBuilderFactory {
    static final AtomicInteger BUILDERS = new AtomicInteger();

    @Override
    public ChunkKvJlamaChatModel.Builder get() {
        BUILDERS.incrementAndGet();
        return new ChunkKvJlamaChatModel.Builder();
    }
}
