package io.github.chunkkv.eval;

/**
 * One needle prompt.
 *
 * @param length the target prompt length in tokens (the prompt is at most this long)
 * @param depth where the asked needle sits in the context, 0 = start, 1 = end
 * @param tokens the prompt, BOS first
 * @param needleStart token index where the asked needle's sentence starts (approximate: sentence-level estimate)
 */
public record NiahCase(NiahTask task, int length, double depth, int sample, String key, String value, int[] tokens, int needleStart) {}
