package io.github.chunkkv.examples.agent;

import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.needle.NeedleFormat.Fact;
import io.github.chunkkv.needle.NeedleFormat.FactKind;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The agent's job: two long documents (the demo's first two excerpts, about 2,200 tokens) that state some facts, a
 * lookup table with facts they do not state, and six questions alternating between the two, so that every other
 * answer needs a tool call and the history grows by a call and its result each time.
 *
 * @param documents the documents' text, sent once at the start of the conversation
 * @param questions the facts asked about, in order
 * @param table the facts only the tool knows
 */
record AgentTask(String documents, List<Fact> questions, List<Fact> table) {
    static final List<String> DOCUMENTS = List.of("demo-docs/gospel-excerpt-1.txt", "demo-docs/gospel-excerpt-2.txt");
    static final int QUESTIONS_PER_SOURCE = 3;

    /** The task for a model whose key vocabulary is {@link NeedleFormat#keyPool} of {@code modelDir} (seeded: always the same). */
    static AgentTask create(Path modelDir) {
        String documents = String.join("\n\n", DOCUMENTS.stream().map(AgentTask::resource).toList());
        List<Fact> stated = NeedleFormat.findFacts(documents);
        Random random = new Random(11);
        List<String> unstated = new ArrayList<>(NeedleFormat.keyPool(modelDir));
        stated.forEach(f -> unstated.remove(f.key()));
        List<String> keys = NeedleFormat.keys(random, QUESTIONS_PER_SOURCE, unstated);
        List<Fact> table = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            table.add(new Fact(FactKind.values()[i % FactKind.values().length], keys.get(i), NeedleFormat.value(random)));
        }
        List<Fact> questions = new ArrayList<>();
        for (int i = 0; i < QUESTIONS_PER_SOURCE; i++) {
            questions.add(stated.get(i));
            questions.add(table.get(i));
        }
        return new AgentTask(documents, List.copyOf(questions), List.copyOf(table));
    }

    /** The user message asking question {@code index}: the first one carries the documents. */
    String message(int index) {
        String question = questions.get(index).question();
        return index == 0 ? NeedleFormat.userMessage(List.of(documents), question) : "Question: " + question;
    }

    private static String resource(String name) {
        try (InputStream in = AgentTask.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
