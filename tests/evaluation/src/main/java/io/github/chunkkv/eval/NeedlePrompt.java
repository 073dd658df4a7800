package io.github.chunkkv.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The needle-in-a-haystack text format: needle sentence, question, prompt layout, answer extraction, and how keys and
 * values are drawn. It follows what needle-lm was trained on (train/nlm.py, documented in models/needle-lm/README.md):
 * the RULER magic-number template, values of three or four space-separated 3-digit groups, made-up keys listed in the
 * model's keys.txt, and the chat layout {@code user: <context>\nQuestion: <q>\nassistant:} answered by
 * {@code " <value></s>"}. This is the one place to change when that format changes.
 */
public final class NeedlePrompt {
    /** Generated tokens allowed for an answer: up to four number groups and the end of text, with room to spare. */
    public static final int MAX_ANSWER_TOKENS = 12;

    /** Keys for models that ship no keys.txt (e.g. stories260K in harness tests). */
    private static final List<String> DEFAULT_KEYS = List.of(
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

    /** The whole prompt (BOS is added by the tokenizer call); the model's answer follows it. */
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

    /** True once the generated text holds a complete answer (a line break after it ends it; so does end-of-text). */
    public static boolean answerComplete(String generated) {
        return generated.stripLeading().contains("\n");
    }

    /** The keys a model was trained with: {@code keys.txt} in its folder, one per line, else a built-in list. */
    public static List<String> keyPool(Path modelDir) {
        Path file = modelDir == null ? null : modelDir.resolve("keys.txt");
        if (file == null || !Files.isRegularFile(file)) return DEFAULT_KEYS;
        try {
            List<String> keys = Files.readAllLines(file).stream().map(String::strip).filter(k -> !k.isEmpty()).distinct().toList();
            if (keys.size() < 8) throw new IllegalArgumentException(file + " must list at least 8 keys, has " + keys.size());
            return keys;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
    }

    /** {@code count} distinct keys from {@code pool}. */
    public static List<String> keys(RandomGenerator random, int count, List<String> pool) {
        if (count > pool.size()) throw new IllegalArgumentException("at most " + pool.size() + " keys per prompt, asked for " + count);
        return random.ints(0, pool.size()).distinct().limit(count).mapToObj(pool::get).toList();
    }

    /** Three or four 3-digit groups separated by spaces, e.g. {@code 802 586 560 862}. */
    public static String value(RandomGenerator random) {
        return IntStream.range(0, 3 + random.nextInt(2)).mapToObj(i -> String.format(Locale.ROOT, "%03d", random.nextInt(1000)))
                .collect(Collectors.joining(" "));
    }
}
