package io.github.chunkkv.langchain4j;

import io.github.chunkkv.jlama.GenerationResult;
import java.util.function.Consumer;

/**
 * The reply as a chat memory will store it. A chat template's generation cue often stops before the separator it puts
 * between the role and an assistant message's content ({@code "assistant:"} as the cue, {@code "assistant: " + content}
 * in the history), so the model generates that separator itself ({@code " 417 802"}). Dropping it from the start of
 * the reply gives the AiMessage the content only, and the re-sent history then renders the very tokens the session
 * holds, so the next request reuses the whole previous answer. Streamed text and the final text agree. For one reply.
 */
final class ReplyText {
    private final String separator;
    private final Consumer<String> onText;
    private final StringBuilder start = new StringBuilder();
    private boolean started;

    /** {@code separator}: see {@link PromptRenderer#assistantContentSeparator()}; {@code onText}: the reply's text as it comes. */
    ReplyText(String separator, Consumer<String> onText) {
        this.separator = separator;
        this.onText = onText;
        this.started = separator.isEmpty();
    }

    /** The next piece of the reply; held back only while it could still be the separator. */
    void accept(String text) {
        if (started) {
            emit(text);
            return;
        }
        start.append(text);
        if (start.length() < separator.length() && separator.startsWith(start.toString())) return;
        started = true;
        emit(start.toString().startsWith(separator) ? start.substring(separator.length()) : start.toString());
    }

    /** Hands on what is still held back; returns the reply's final text, the same as what was handed on. */
    String finish(GenerationResult result) {
        if (!started) emit(start.toString()); // a reply shorter than the separator
        return result.text().startsWith(separator) ? result.text().substring(separator.length()) : result.text();
    }

    private void emit(String text) {
        if (!text.isEmpty()) onText.accept(text);
    }
}
