package io.github.chunkkv.examples.readme;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.examples.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's usage snippets run, and README.md shows them verbatim. */
class ReadmeSnippetsTest {
    private static final Path SOURCES = Path.of("src/main/java/io/github/chunkkv/examples/readme");
    private static final String DOCUMENT = "The secret word for mapaz is: wheels. And they went their way.";
    private static final String QUESTION = "What is the secret word for mapaz?";

    @Test
    void jlamaSnippetRuns(@TempDir Path dir) {
        String printed = captureStdout(() -> ReadmeJlamaSnippet.run(TestModels.tinyLlama(dir), DOCUMENT, QUESTION));
        assertFalse(printed.isBlank(), "the snippet prints the answer");
    }

    @Test
    void langChain4jSnippetRuns(@TempDir Path dir) {
        String printed = captureStdout(() -> ReadmeLangChain4jSnippet.run(TestModels.tinyLlama(dir), DOCUMENT, QUESTION));
        assertTrue(printed.contains("ChunkKvChatResponseMetadata{") && printed.contains("policy='chunkkv:keep=0.1"), printed);
    }

    @Test
    void gettingStartedRunsOnNeedleLm() {
        Path needle = Path.of(System.getProperty(EmbeddedModel.REPO_DIR_PROPERTY, "..")).resolve("models/needle-lm");
        String printed = captureStdout(() -> GettingStarted.main(new String[] {needle.toString()}));
        assertTrue(printed.contains("wheels"), printed);
    }

    @Test
    void readmeShowsBothSnippetsVerbatim() throws IOException {
        Path readme = Path.of(System.getProperty(EmbeddedModel.REPO_DIR_PROPERTY, "..")).resolve("README.md");
        if (!Files.isRegularFile(readme)) {
            String message = "no README.md at " + readme;
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
            assumeTrue(false, message + " yet; skipping");
        }
        List<List<String>> javaBlocks = javaBlocks(Files.readAllLines(readme));
        for (String source : List.of("ReadmeJlamaSnippet.java", "ReadmeLangChain4jSnippet.java", "GettingStarted.java")) {
            List<String> snippet = snippet(SOURCES.resolve(source));
            assertTrue(javaBlocks.stream().anyMatch(block -> Collections.indexOfSubList(block, snippet) >= 0),
                    "README.md needs a ```java block with these lines of " + source + ":\n" + String.join("\n", snippet));
        }
    }

    /** The lines between the snippet markers, without their common indentation. */
    static List<String> snippet(Path source) throws IOException {
        List<String> lines = Files.readAllLines(source);
        int start = indexOfMarker(lines, "// snippet:start", source);
        int end = indexOfMarker(lines, "// snippet:end", source);
        List<String> body = lines.subList(start + 1, end);
        int indent = body.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return body.stream().map(l -> l.isBlank() ? "" : l.substring(indent).stripTrailing()).toList();
    }

    private static int indexOfMarker(List<String> lines, String marker, Path source) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).strip().equals(marker)) return i;
        throw new AssertionError(source + " has no '" + marker + "' line");
    }

    private static List<List<String>> javaBlocks(List<String> markdown) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        for (String line : markdown) {
            if (current == null && line.strip().equals("```java")) {
                current = new ArrayList<>();
            } else if (current != null && line.strip().equals("```")) {
                blocks.add(current);
                current = null;
            } else if (current != null) {
                current.add(line.stripTrailing());
            }
        }
        return blocks;
    }

    private static String captureStdout(Runnable snippet) {
        PrintStream original = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            snippet.run();
        } finally {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
