package io.github.chunkkv.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Filler text for needle tests, as sentences (split after . ! ? and whitespace). */
public record Haystack(List<String> sentences) {
    public Haystack {
        if (sentences.size() < 2) throw new IllegalArgumentException("haystack must hold at least 2 sentences, got " + sentences.size());
        sentences = List.copyOf(sentences);
    }

    public static Haystack load(Path file) {
        if (file == null || !Files.isRegularFile(file)) throw new IllegalArgumentException("--haystack must be an existing text file, got " + file);
        try {
            return of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("--haystack " + file + " could not be read as UTF-8 text: " + e.getMessage(), e);
        }
    }

    public static Haystack of(String text) {
        return new Haystack(Arrays.stream(text.strip().split("(?<=[.!?])\\s+")).map(s -> s.replaceAll("\\s+", " ").strip())
                .filter(s -> !s.isEmpty()).toList());
    }

    /** Sentence {@code i}, wrapping around at the end. */
    public String sentence(int i) {
        return sentences.get(Math.floorMod(i, sentences.size()));
    }
}
