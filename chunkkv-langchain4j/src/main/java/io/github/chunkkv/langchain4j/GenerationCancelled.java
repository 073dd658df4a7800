package io.github.chunkkv.langchain4j;

/**
 * Thrown from a generation's text callback to stop it between tokens because the caller cancelled the stream. The
 * session it leaves behind is consistent (every token it holds was decoded), so the engine keeps it for reuse.
 */
final class GenerationCancelled extends RuntimeException {
    GenerationCancelled() {
        super("streaming was cancelled", null, false, false); // control flow: no stack trace
    }
}
