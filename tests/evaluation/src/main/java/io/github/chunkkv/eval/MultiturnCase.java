package io.github.chunkkv.eval;

import java.util.List;

/**
 * One shared context holding several needles, each asked in its own turn or request.
 *
 * @param length the target length of the first turn's prompt (context and first question) in tokens
 * @param context the rendered context without any question, BOS first
 * @param asked the needles in the order they are asked: one per turn
 */
public record MultiturnCase(int length, int sample, int[] context, List<Needle> asked) {
    /**
     * A needle of the context.
     *
     * @param depth where it sits in the filler, 0 = start, 1 = end
     * @param start token index where its sentence starts in {@link #context}
     */
    public record Needle(String key, String value, double depth, int start) {}

    public MultiturnCase {
        asked = List.copyOf(asked);
    }
}
