package io.github.chunkkv.jlama;

import io.github.chunkkv.config.Probe;
import java.util.Arrays;

/**
 * The tokens a {@link Probe} appends after a session's first prompt, to be observed while scoring its compression and
 * then dropped. {@link Probe#REPEAT} is KVzip's reconstruction: an instruction to repeat the context, then the context
 * itself teacher-forced, so that each reconstructed token's query looks for the context position it copies; positions
 * nothing in the context needs again are the ones the reconstruction ignores. When the context does not fit twice,
 * its first tokens are repeated, as many as the model's positions allow.
 */
final class ProbeTokens {
    /** Plain text rather than a chat turn: the probe must not depend on a template the model may lack. */
    static final String REPEAT_INSTRUCTION = "\n\nRepeat the previous context:\n";

    private ProbeTokens() {}

    /**
     * @param instruction the encoded {@link #REPEAT_INSTRUCTION}
     * @param context the prompt being compressed; a leading {@code bosToken} is not repeated
     * @param room positions left after the prompt
     * @throws IllegalArgumentException when fewer than the instruction and one context token fit
     */
    static int[] repeat(int[] instruction, int[] context, int bosToken, int room) {
        int from = context.length > 0 && context[0] == bosToken ? 1 : 0;
        int repeated = Math.min(context.length - from, room - instruction.length);
        if (repeated < 1) {
            throw new IllegalArgumentException("probe=repeat needs at least " + (instruction.length + 1) + " free positions after the prompt"
                    + " (the instruction and one repeated token), " + room + " are left: shorten the prompt or use probe=none");
        }
        int[] probe = Arrays.copyOf(instruction, instruction.length + repeated);
        System.arraycopy(context, from, probe, instruction.length, repeated);
        return probe;
    }
}
