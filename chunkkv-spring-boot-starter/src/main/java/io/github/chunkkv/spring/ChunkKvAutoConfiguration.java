package io.github.chunkkv.spring;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.langchain4j.ChunkKvJlamaStreamingChatModel;
import io.github.chunkkv.store.DirectoryStore;
import io.github.chunkkv.store.KvCacheStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.lang.Nullable;

/**
 * A {@link ChatModel} and a {@link StreamingChatModel} running the model that {@code chunkkv.model-path} (or
 * {@code chunkkv.model-name}) names, with the {@link ChunkKvProperties} as builder options and every
 * {@link ChatModelListener} bean as listener. Each bean is made only when the application has none of its type. Both
 * share one loaded model and its session cache; the context closes them on shutdown. A {@link KvCacheStore} bean, the
 * application's own (e.g. a {@code RedisKvCacheStore}) or a {@link DirectoryStore} on {@code chunkkv.store-directory},
 * is shared by both models; the context closes it after them.
 */
@AutoConfiguration
@ConditionalOnClass(ChunkKvJlamaChatModel.class)
@Conditional(ChunkKvAutoConfiguration.ModelConfigured.class)
@EnableConfigurationProperties(ChunkKvProperties.class)
public class ChunkKvAutoConfiguration {
    /** Called by Spring when the model is configured (see the class comment); applications do not call it. */
    public ChunkKvAutoConfiguration() {}

    /** The store on {@code chunkkv.store-directory}, unless the application has its own. */
    @Bean
    @ConditionalOnMissingBean(KvCacheStore.class)
    @ConditionalOnProperty(prefix = ChunkKvProperties.PREFIX, name = "store-directory")
    public DirectoryStore chunkKvStore(ChunkKvProperties properties) {
        return new DirectoryStore(properties.getStoreDirectory());
    }

    /**
     * The blocking chat model. The store is a {@code @Nullable} parameter rather than an {@code ObjectProvider} so that
     * Spring records the dependency and closes the store only after the model.
     */
    @Bean
    @ConditionalOnMissingBean(ChatModel.class)
    public ChunkKvJlamaChatModel chunkKvChatModel(ChunkKvProperties properties, ObjectProvider<ChatModelListener> listeners,
            @Nullable KvCacheStore store) {
        return properties.applyTo(ChunkKvJlamaChatModel.builder()).store(store).listeners(listeners.orderedStream().toList()).build();
    }

    /** The streaming chat model, on the same store as the blocking one. */
    @Bean
    @ConditionalOnMissingBean(StreamingChatModel.class)
    public ChunkKvJlamaStreamingChatModel chunkKvStreamingChatModel(ChunkKvProperties properties,
            ObjectProvider<ChatModelListener> listeners, @Nullable KvCacheStore store) {
        return properties.applyTo(ChunkKvJlamaStreamingChatModel.builder()).store(store).listeners(listeners.orderedStream().toList())
                .build();
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
