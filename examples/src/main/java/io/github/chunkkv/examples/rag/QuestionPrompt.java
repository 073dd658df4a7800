package io.github.chunkkv.examples.rag;

import java.util.List;

/** Turns retrieved passages and a question into the user message the chat model answers. */
@FunctionalInterface
public interface QuestionPrompt {
    String userMessage(List<String> passages, String question);
}
