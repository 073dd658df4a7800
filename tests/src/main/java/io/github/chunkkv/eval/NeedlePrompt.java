package io.github.chunkkv.eval;

import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * The needle-in-a-haystack text format: needle sentence, question, prompt layout, answer extraction, and how keys and
 * values are drawn. It must match what the retrieval model was trained on (models/needle-lm/README.md); this is the
 * one place to change when that format changes. Today: the RULER template in a plain {@code user:/assistant:} chat.
 */
public final class NeedlePrompt {
    /** Generated tokens allowed for an answer: a 7-digit value and its end. */
    public static final int MAX_ANSWER_TOKENS = 12;

    private static final List<String> KEYS = List.of(
            "apple", "river", "lantern", "falcon", "marble", "harbor", "velvet", "thunder", "meadow", "copper",
            "orchid", "glacier", "saddle", "compass", "ember", "willow", "canyon", "pepper", "quartz", "violin",
            "badger", "cobalt", "dune", "feather", "garnet", "hollow", "island", "juniper", "kettle", "lemon");

    private NeedlePrompt() {}

    public static String needle(String key, String value) {
        return "The special magic number for " + key + " is: " + value + ".";
    }

    public static String question(String key) {
        return "What is the special magic number for " + key + "?";
    }

    /** The whole prompt; the model's answer follows it. */
    public static String prompt(String context, String key) {
        return start(context) + "\nQuestion: " + question(key) + "\nassistant:";
    }

    /** The prompt up to the end of {@code context}. */
    public static String start(String context) {
        return "user: " + context;
    }

    /** The value in a generated answer: its first line, trimmed, without a final period. */
    public static String answer(String generated) {
        String line = generated.strip().lines().findFirst().orElse("").strip();
        return line.endsWith(".") ? line.substring(0, line.length() - 1).strip() : line;
    }

    /** True once the generated text holds a complete answer (a line break ends it). */
    public static boolean answerComplete(String generated) {
        return generated.stripLeading().contains("\n");
    }

    /** {@code count} distinct keys. */
    public static List<String> keys(RandomGenerator random, int count) {
        if (count > KEYS.size()) throw new IllegalArgumentException("at most " + KEYS.size() + " keys per prompt, asked for " + count);
        return random.ints(0, KEYS.size()).distinct().limit(count).mapToObj(KEYS::get).toList();
    }

    /** A 7-digit value, as in RULER. */
    public static String value(RandomGenerator random) {
        return String.format(Locale.ROOT, "%07d", 1_000_000 + random.nextInt(9_000_000));
    }
}
