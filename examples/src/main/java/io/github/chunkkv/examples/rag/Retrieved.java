package io.github.chunkkv.examples.rag;

import dev.langchain4j.data.segment.TextSegment;
import java.util.List;

/**
 * The segments retrieved for one question, in reading order (document, then position in it).
 *
 * @param tokens their length in the chat model's tokens
 */
public record Retrieved(List<TextSegment> segments, int tokens) {
    public List<String> passages() {
        return segments.stream().map(TextSegment::text).toList();
    }

    /** Whether {@code text} occurs in one of the segments, e.g. the sentence that answers the question. */
    public boolean contains(String text) {
        return segments.stream().anyMatch(s -> s.text().contains(text));
    }
}
