package io.github.chunkkv.langchain4j;

import com.github.tjake.jlama.model.AbstractModel;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.TokenCountEstimator;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Exact token counts from a Jlama model's own tokenizer. Messages are counted the way the chat models send them: a
 * list of messages is the rendered prompt (chat template, BOS and the assistant cue included), so it equals the
 * {@code inputTokenCount} a request with those messages reports; a single message is its rendering on its own, without
 * BOS or cue. Use it with {@code TokenWindowChatMemory} or a token-based document splitter.
 */
public class JlamaTokenCountEstimator implements TokenCountEstimator {
    private final AbstractModel model;
    private final PromptRenderer renderer;

    /** Counts with a loaded Jlama model; see also {@link ChunkKvJlamaChatModel#tokenCountEstimator()}. */
    public JlamaTokenCountEstimator(AbstractModel model) {
        this.model = Objects.requireNonNull(model, "model");
        this.renderer = JlamaEngine.rendererFor(model);
    }

    @Override
    public int estimateTokenCountInText(String text) {
        return text == null || text.isEmpty() ? 0 : model.getTokenizer().encode(text).length;
    }

    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
        return estimateTokenCountInText(renderer.render(List.of(message), List.of(), false).getPrompt());
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
        List<ChatMessage> list = new ArrayList<>();
        messages.forEach(list::add);
        return list.isEmpty() ? 0 : model.encodePrompt(renderer.render(list, List.of(), true)).length;
    }
}
