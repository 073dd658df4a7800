package io.github.chunkkv.spring;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.langchain4j.ChunkKvJlamaStreamingChatModel;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * A {@link ChatModel} and a {@link StreamingChatModel} running the model that {@code chunkkv.model-path} (or
 * {@code chunkkv.model-name}) names, with the {@link ChunkKvProperties} as builder options and every
 * {@link ChatModelListener} bean as listener. Each bean is made only when the application has none of its type. Both
 * share one loaded model and its session cache; the context closes them on shutdown.
 */
@AutoConfiguration
@ConditionalOnClass(ChunkKvJlamaChatModel.class)
@Conditional(ChunkKvAutoConfiguration.ModelConfigured.class)
@EnableConfigurationProperties(ChunkKvProperties.class)
public class ChunkKvAutoConfiguration {
    /** Called by Spring when the model is configured (see the class comment); applications do not call it. */
    public ChunkKvAutoConfiguration() {}

    /** The blocking chat model. */
    @Bean
    @ConditionalOnMissingBean(ChatModel.class)
    public ChunkKvJlamaChatModel chunkKvChatModel(ChunkKvProperties properties, ObjectProvider<ChatModelListener> listeners) {
        return properties.applyTo(ChunkKvJlamaChatModel.builder()).listeners(listeners.orderedStream().toList()).build();
    }

    /** The streaming chat model. */
    @Bean
    @ConditionalOnMissingBean(StreamingChatModel.class)
    public ChunkKvJlamaStreamingChatModel chunkKvStreamingChatModel(ChunkKvProperties properties,
            ObjectProvider<ChatModelListener> listeners) {
        return properties.applyTo(ChunkKvJlamaStreamingChatModel.builder()).listeners(listeners.orderedStream().toList()).build();
    }

    /** A model path or a model name is set. */
    static final class ModelConfigured extends AnyNestedCondition {
        ModelConfigured() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnProperty(prefix = ChunkKvProperties.PREFIX, name = "model-path")
        static final class ModelPath {}

        @ConditionalOnProperty(prefix = ChunkKvProperties.PREFIX, name = "model-name")
        static final class ModelName {}
    }
}
