package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import java.util.List;
import java.util.Set;

/**
 * What the blocking and the streaming chat model share: the loaded engine, the default request parameters, the
 * listeners and the provider facts. The two subclasses differ only in how a reply is delivered.
 */
public abstract class ChunkKvJlamaModelBase implements AutoCloseable {
    final ChatModelCore core;

    ChunkKvJlamaModelBase(ChatModelCore core) {
        this.core = core;
    }

    public ChunkKvChatRequestParameters defaultRequestParameters() {
        return core.defaults();
    }

    public List<ChatModelListener> listeners() {
        return core.listeners();
    }

    public ModelProvider provider() {
        return ModelProvider.OTHER; // no enum value for in-process Jlama
    }

    public Set<Capability> supportedCapabilities() {
        return Set.of();
    }

    /** Counts tokens with this model's tokenizer and chat template, e.g. for {@code TokenWindowChatMemory}. */
    public JlamaTokenCountEstimator tokenCountEstimator() {
        return new JlamaTokenCountEstimator(core.engine().jlamaModel());
    }

    /** Frees this model's claim on the shared Jlama model; the last user frees its sessions and weights. */
    @Override
    public void close() {
        core.close();
    }
}
