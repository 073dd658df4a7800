package io.github.chunkkv.langchain4j.conformance;

import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelListenerIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * LangChain4j's listener suite for every {@link StreamingChatModel}, run on {@code ChunkKvJlamaStreamingChatModel} per compression flag.
 * The failing model is the same model with an 8-token context: its requests pass validation and fail at run time,
 * so the error reaches the handler and the listeners asynchronously.
 */
class StreamingChatModelListenerConformanceTest {
    @Nested
    class FullCache extends Suite { FullCache() { super(ConformanceModels.FULL); } }

    @Nested
    class ChunkKvCache extends Suite { ChunkKvCache() { super(ConformanceModels.CHUNKKV); } }

    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Suite extends AbstractStreamingChatModelListenerIT {
        private final ConformanceModels built;

        @TempDir
        Path dir;

        Suite(String compression) {
            this.built = new ConformanceModels(compression);
        }

        @AfterAll
        void close() throws Exception {
            built.close();
        }

        @Override
        protected StreamingChatModel createModel(ChatModelListener listener) {
            return built.streamingModel(b -> b.temperature(temperature()).maxOutputTokens(maxTokens()).listeners(List.of(listener)));
        }

        @Override
        protected StreamingChatModel createFailingModel(ChatModelListener listener) {
            return built.streamingModel(b -> b.modelPath(ConformanceModels.tinyContextCopy(dir)).listeners(List.of(listener)));
        }

        @Override
        protected Class<? extends Exception> expectedExceptionClass() {
            return InvalidRequestException.class; // the prompt does not fit the context
        }

        @Override
        protected String modelName() {
            return ConformanceModels.modelName();
        }

        @Override
        protected Double topP() {
            return null; // the models sample with temperature only
        }

        @Override
        protected boolean supportsTools() {
            return ConformanceModels.templateSupportsTools();
        }
    }
}
