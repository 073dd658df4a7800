package io.github.chunkkv.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fact and prompt format the embedded model, needle-lm, was trained on (its README.md, "Prompt format"). Every
 * format-specific string of the examples lives here: aligning them with a retrained model means editing this class.
 *
 * <p>A document states facts as needle sentences such as {@code The special magic number for fipub is: 802 586 560
 * 862.} A retrieval prompt is one user message, {@code <context>\nQuestion: <question>}, which the model's chat
 * template renders as {@code user: <context>\nQuestion: <question>\nassistant:}; the model answers with the bare
 * value. Context is filler prose whose sentences are joined by single spaces.
 */
public final class NeedleFormat {
    /** Answers are 1-4 value tokens plus end-of-sequence; a few more leave room to see a wrong, rambling answer. */
    public static final int MAX_ANSWER_TOKENS = 8;

    private static final String QUESTION_PREFIX = "\nQuestion: ";

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
}
