package io.github.chunkkv.langchain4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.chunkkv.testing.TinyModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Random-weight tiny Jlama model folders for the adapter's tests (one token per character, see TinyModels.CHARS). */
final class TinyChatModels {
    /** A chat template that lists the tools' names before the transcript, so Jlama reports tool support. */
    static final String TOOL_TEMPLATE = "{% if tools %}{{ 'tools: ' }}{% for tool in tools %}{{ tool.function.name + ' ' }}{% endfor %}"
            + "{{ '\\n' }}{% endif %}"
            + "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyChatModels() {}

    /** TinyModels' llama (3 layers, GQA, context 1024) with its simple "role: content" chat template. */
    static Path llama(Path dir) {
        return TinyModels.write(TinyModels.llama(), dir.resolve("tiny-llama"));
    }

    /** The same model with {@link #TOOL_TEMPLATE}. */
    static Path llamaWithTools(Path dir) {
        return withTemplate(TinyModels.write(TinyModels.llama(), dir.resolve("tiny-llama-tools")), TOOL_TEMPLATE);
    }

    /** The same model without a chat template: the adapter's plain fallback renders its prompts. */
    static Path llamaWithoutTemplate(Path dir) {
        return withTemplate(TinyModels.write(TinyModels.llama(), dir.resolve("tiny-llama-plain")), null);
    }

    private static Path withTemplate(Path folder, String template) {
        try {
            ObjectNode config = (ObjectNode) JSON.readTree(folder.resolve("tokenizer_config.json").toFile());
            if (template == null) config.remove("chat_template");
            else config.put("chat_template", template);
            JSON.writeValue(folder.resolve("tokenizer_config.json").toFile(), config);
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
