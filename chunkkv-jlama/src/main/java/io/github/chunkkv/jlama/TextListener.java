package io.github.chunkkv.jlama;

/** Receives a generation's reply as it becomes final: text that a stop sequence could still cut is held back. */
@FunctionalInterface
public interface TextListener {
    /** Ignores the text, for callers that only want the result. */
    TextListener NONE = (text, generatedTokens, decodeNanos) -> {};

    /**
     * Receives the next piece of the reply.
     *
     * @param text the next piece of the reply, never empty; all pieces in order are exactly the final reply
     * @param generatedTokens tokens sampled so far
     * @param decodeNanos time since the first token was sampled
     */
    void onText(String text, int generatedTokens, long decodeNanos);
}
