package io.github.chunkkv.jlama;

import com.github.tjake.jlama.model.functions.Generator;

/**
 * What one generation produced and what it cost.
 *
 * @param text the reply: special tokens left out, cut before a stop sequence
 * @param textWithSpecialTokens every generated token's text, special tokens included (what tool-call parsing reads)
 * @param stopReason why the generation ended
 * @param promptTokens tokens prefilled by this generation (only the new ones when the session continues)
 * @param generatedTokens sampled tokens, the end-of-sequence token excluded
 * @param lastSampledToken the last token sampled, which was not fed back to the session: a caller continuing the
 *     conversation feeds it first (it is the end-of-sequence token when the model ended the reply)
 * @param stats the prefill's compression statistics
 * @param kvAllocatedBytes K+V bytes the session's arrays held when the generation ended, used or not: the prefill's
 *     {@link CompressionStats#kvAllocatedBytesAfter()} plus what decoding added (see {@link KvSession#kvAllocatedBytes()})
 * @param prefillNanos wall time of the prefill, compression included
 * @param decodeNanos wall time from the first sample to the end
 */
public record GenerationResult(
        String text,
        String textWithSpecialTokens,
        StopReason stopReason,
        int promptTokens,
        int generatedTokens,
        int lastSampledToken,
        CompressionStats stats,
        long kvAllocatedBytes,
        long prefillNanos,
        long decodeNanos) {

    /** Why a generation ended. */
    public enum StopReason {
        /** The model sampled one of its end-of-sequence tokens. */
        END_OF_SEQUENCE,
        /** The reply contains one of the requested stop sequences. */
        STOP_SEQUENCE,
        /** The requested maximum of new tokens was generated. */
        MAX_TOKENS,
        /** The session holds as many positions as the model allows. */
        CONTEXT_FULL,
        /** The generation's time limit passed; the reply ends with the last token sampled before it. */
        TIME_LIMIT,
        /** The generating thread was interrupted; its interrupt status is still set. */
        INTERRUPTED
    }

    /** This result as Jlama's {@link Generator.Response} (no tool calls parsed yet). */
    public Generator.Response toJlamaResponse() {
        Generator.FinishReason reason = switch (stopReason) {
            case END_OF_SEQUENCE, STOP_SEQUENCE -> Generator.FinishReason.STOP_TOKEN;
            case MAX_TOKENS, CONTEXT_FULL, TIME_LIMIT -> Generator.FinishReason.MAX_TOKENS;
            case INTERRUPTED -> Generator.FinishReason.ERROR; // Jlama has no reason for a stopped generation
        };
        return new Generator.Response(text, textWithSpecialTokens, reason, promptTokens, generatedTokens,
                prefillNanos / 1_000_000, decodeNanos / 1_000_000);
    }
}
