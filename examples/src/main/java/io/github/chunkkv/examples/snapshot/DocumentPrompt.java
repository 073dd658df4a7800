package io.github.chunkkv.examples.snapshot;

import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import io.github.chunkkv.needle.NeedleFormat;
import java.util.List;
import java.util.Optional;

/**
 * A question about a document, rendered with the model's chat layout and cut where the question begins: the document
 * part is prefilled once and saved; the question part continues it, so that together they are exactly the prompt
 * the model would see for document and question in one user message ({@code <document>\nQuestion: <question>}).
 */
final class DocumentPrompt {
    private DocumentPrompt() {}

    /** The rendered prompt up to the end of the document (whitespace runs collapsed as in every needle prompt). */
    static String documentPart(Optional<PromptSupport> chat, String document) {
        String rendered = render(chat, NeedleFormat.userMessage(List.of(document), "?"));
        return rendered.substring(0, rendered.lastIndexOf(NeedleFormat.QUESTION_PREFIX));
    }

    /** The rest of the rendered prompt: the question, the end of the user turn and the generation prompt. */
    static String questionPart(Optional<PromptSupport> chat, String question) {
        String rendered = render(chat, NeedleFormat.userMessage(List.of("."), question));
        return rendered.substring(rendered.lastIndexOf(NeedleFormat.QUESTION_PREFIX + question.strip()));
    }

    /** A model without a chat template sees the bare message, then a line break to answer on. */
    private static String render(Optional<PromptSupport> chat, String userMessage) {
        return chat.map(c -> c.builder().addUserMessage(userMessage).addGenerationPrompt(true).build().getPrompt())
                .orElse(userMessage + "\n");
    }
}
