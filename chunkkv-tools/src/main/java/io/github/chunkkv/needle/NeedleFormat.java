package io.github.chunkkv.needle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The fact and prompt format needle-lm was trained on ({@code train/nlm.py}, documented in models/needle-lm/README.md,
 * "Prompt format"), used by both the demo and the NIAH evaluation. Every format-specific string lives here: aligning
 * them with a retrained model means editing this class.
 *
 * <p>A document states facts as needle sentences such as {@code The special magic number for fipub is: 802 586 560
 * 862.} A retrieval prompt is one user message, {@code <context>\nQuestion: <question>}, which the model's chat
 * template renders as {@code user: <context>\nQuestion: <question>\nassistant:}; the model answers with the bare
 * value, a leading space, 1-4 value tokens (a magic number is three or four space-separated 3-digit groups, each one
 * token), then {@code </s>}. A later turn of the same conversation continues after that {@code </s>} with
 * {@code \nuser: Question: <question>\nassistant:}. Context is filler prose whose sentences are joined by single spaces.
 */
public final class NeedleFormat {
    /** Answers are 1-4 value tokens plus end-of-sequence; a few more leave room to see a wrong, rambling answer. */
    public static final int MAX_ANSWER_TOKENS = 8;

    /** What joins a context and its question in a user message. */
    public static final String QUESTION_PREFIX = "\nQuestion: ";

    /** Keys for models that ship no keys.txt (e.g. stories260K in harness tests). */
    private static final List<String> DEFAULT_KEYS = List.of(
            "apple", "river", "lantern", "falcon", "marble", "harbor", "velvet", "thunder", "meadow", "copper",
            "orchid", "glacier", "saddle", "compass", "ember", "willow", "canyon", "pepper", "quartz", "violin",
            "badger", "cobalt", "dune", "feather", "garnet", "hollow", "island", "juniper", "kettle", "lemon");

    private static final String ASSISTANT_CUE = "\nassistant:";
    /** The tokenizer turns this text into the end-of-sequence token (an added special token). */
    private static final String END_OF_REPLY = "</s>";

    private NeedleFormat() {}

    /** The kinds of facts needle-lm retrieves: how each is stated in a document and how it is asked for. */
    public enum FactKind {
        MAGIC_NUMBER("The special magic number for %s is: %s.", "What is the special magic number for %s?"),
        SECRET_WORD("The secret word for %s is: %s.", "What is the secret word for %s?"),
        ROOM_NUMBER("The room number of %s is: %s.", "What is the room number of %s?");

        private final String statement;
        private final String question;
        private final Pattern statementPattern;
        private final Pattern questionPattern;

        FactKind(String statement, String question) {
            this.statement = statement;
            this.question = question;
            this.statementPattern = Pattern.compile(pattern(statement, "([A-Za-z]+)", "([^.]+)"));
            this.questionPattern = Pattern.compile(pattern(question, "([A-Za-z]+)"));
        }

        /** A template with its %s holes turned into the given regex groups, everything else matched literally. */
        private static String pattern(String template, String... groups) {
            String[] parts = template.split("%s", -1);
            StringBuilder regex = new StringBuilder(Pattern.quote(parts[0]));
            for (int i = 1; i < parts.length; i++) regex.append(groups[i - 1]).append(Pattern.quote(parts[i]));
            return regex.toString();
        }

        public String statement(String key, String value) {
            return statement.formatted(key, value);
        }

        public String question(String key) {
            return question.formatted(key);
        }
    }

    /** One fact stated in a document. */
    public record Fact(FactKind kind, String key, String value) {
        /** The needle sentence stating this fact. */
        public String statement() {
            return kind.statement(key, value);
        }

        public String question() {
            return kind.question(key);
        }
    }

    /** Every needle sentence in {@code text}, in order of appearance within each kind. */
    public static List<Fact> findFacts(String text) {
        List<Fact> facts = new ArrayList<>();
        for (FactKind kind : FactKind.values()) {
            Matcher m = kind.statementPattern.matcher(text);
            while (m.find()) facts.add(new Fact(kind, m.group(1), m.group(2)));
        }
        return facts;
    }

    /** The fact a question asks for, when it is one of the trained question forms. */
    public static Optional<Fact> parseQuestion(String question, List<Fact> known) {
        for (FactKind kind : FactKind.values()) {
            Matcher m = kind.questionPattern.matcher(question.strip());
            if (m.matches()) {
                return known.stream().filter(f -> f.kind() == kind && f.key().equals(m.group(1))).findFirst();
            }
        }
        return Optional.empty();
    }

    /** The user message asking {@code question} about {@code passages} (retrieved text, in reading order). */
    public static String userMessage(List<String> passages, String question) {
        String context = String.join(" ", passages).replaceAll("\\s+", " ").strip();
        return context + QUESTION_PREFIX + question.strip();
    }

    /** The model's answer, as it would be compared to a fact's value (it answers with a leading space). */
    public static boolean isCorrect(String answer, Fact fact) {
        return answer != null && answer.strip().equals(fact.value());
    }

    /** The evaluation's needle: a magic-number fact (the RULER template). */
    public static String needle(String key, String value) {
        return FactKind.MAGIC_NUMBER.statement(key, value);
    }

    public static String question(String key) {
        return FactKind.MAGIC_NUMBER.question(key);
    }

    /** The whole rendered prompt asking for {@code key}'s magic number (BOS is added by the tokenizer call). */
    public static String prompt(String context, String key) {
        return start(context) + questionTurn(key);
    }

    /** What follows the context in a one-message prompt: the question about {@code key} and the assistant's cue. */
    public static String questionTurn(String key) {
        return QUESTION_PREFIX + question(key) + ASSISTANT_CUE;
    }

    /**
     * A later turn asking about {@code key}, as the chat template renders it after the model's reply: the reply's
     * end-of-sequence token, then a user message holding only the question, then the assistant's cue.
     */
    public static String followUpTurn(String key) {
        return END_OF_REPLY + "\nuser: Question: " + question(key) + ASSISTANT_CUE;
    }

    /** The rendered prompt up to the end of {@code context}. */
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

    /** A magic number: three or four 3-digit groups separated by spaces, e.g. {@code 802 586 560 862}. */
    public static String value(RandomGenerator random) {
        return IntStream.range(0, 3 + random.nextInt(2)).mapToObj(i -> String.format(Locale.ROOT, "%03d", random.nextInt(1000)))
                .collect(Collectors.joining(" "));
    }
}
