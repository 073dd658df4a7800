package io.github.chunkkv.langchain4j.conformance;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * LangChain4j's conformance suite for every {@link StreamingChatModel}, run on {@code ChunkKvJlamaStreamingChatModel}
 * per compression flag, with the default executor (so the suite's thread checks apply).
 */
class StreamingChatModelConformanceTest {
    @Nested
    class FullCache extends Suite { FullCache() { super(ConformanceModels.FULL); } }

    @Nested
    class ChunkKvCache extends Suite { ChunkKvCache() { super(ConformanceModels.CHUNKKV); } }

    @ExtendWith(NeedsGeneralLlm.class)
    abstract static class Suite extends AbstractStreamingChatModelIT {
        private final ConformanceModels built;

        Suite(String compression) {
            this.built = new ConformanceModels(compression);
        }

        @TempDir
        Path dir;

        @AfterAll
        void close() throws Exception {
            built.close();
        }

        @Override
        protected List<StreamingChatModel> models() {
            return List.of(built.streamingModel(ChatRequestParameters.builder().build()));
        }

        @Override
        protected StreamingChatModel createModelWith(ChatRequestParameters parameters) {
            return built.streamingModel(parameters);
        }

        @Override
        public StreamingChatModel createModelWith(ChatModelListener listener) {
            return built.streamingModel(b -> b.listeners(List.of(listener)));
        }

        @Override
        protected boolean supportsPartialToolStreaming(StreamingChatModel model) {
            return false; // a reply is known to be a tool call only once complete
        }

        @Override
        protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
            return built.integrationSpecificParameters(maxOutputTokens);
        }

        @Override
        protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(StreamingChatModel model) {
            return ChunkKvChatResponseMetadata.class;
        }

        @Override
        protected String catImageUrl() {
            return ConformanceModels.imageUrl(dir);
        }

        @Override
        protected String diceImageUrl() {
            return ConformanceModels.imageUrl(dir);
        }

        @Override
        protected boolean supportsModelNameParameter() {
            return false; // one loaded model per instance: another modelName is refused
        }

        @Override
        protected boolean supportsTools() {
            return ConformanceModels.templateSupportsTools();
        }

        @Override
        protected boolean supportsToolChoiceRequired() {
            return false;
        }

        @Override
        protected boolean supportsJsonResponseFormat() {
            return false;
        }

        @Override
        protected boolean supportsJsonResponseFormatWithSchema() {
            return false;
        }

        @Override
        protected boolean supportsJsonResponseFormatWithRawSchema() {
            return false;
        }

        @Override
        protected boolean supportsSingleImageInputAsBase64EncodedString() {
            return false;
        }

        @Override
        protected boolean supportsSingleImageInputAsPublicURL() {
            return false;
        }
    }
}
