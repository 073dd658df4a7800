package io.github.chunkkv.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.examples.TestModels.Console;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's command line and its whole pipeline on a tiny random model: wiring and output format, not answers. */
class DemoAppTest {
    private static final Pattern SUMMARY = Pattern.compile(
            "^demo policy=(\\w+) (keep=[0-9.]+|budget=\\d+) correct=(\\d+) total=(\\d+) kv_bytes=(\\d+) kv_bytes_full=(\\d+) decode_ms_per_token=(\\d+\\.\\d{3})$",
            Pattern.MULTILINE);

    @Test
    void runsBothPoliciesEndToEndAndPrintsOneSummaryLineEach(@TempDir Path dir) {
        Console console = new Console();
        int code = DemoApp.run(new String[] {"--model", TestModels.tinyLlama(dir).toString(), "--context-tokens", "600",
                "--question", "What is the secret word for duzaz?", "--question", "What is the room number of suzoz?"},
                console.out, console.err);

        assertEquals(ExitCodes.OK, code, console.err());
        String out = console.out();
        Matcher m = SUMMARY.matcher(out);
        assertTrue(m.find(), out);
        assertEquals("chunkkv keep=0.1 total=2", m.group(1) + " " + m.group(2) + " total=" + m.group(4));
        assertTrue(Long.parseLong(m.group(5)) < Long.parseLong(m.group(6)), "the compressed cache is smaller: " + m.group());
        assertTrue(m.find(), out);
        assertEquals("full keep=1.0 total=2", m.group(1) + " " + m.group(2) + " total=" + m.group(4));
        assertEquals(m.group(5), m.group(6), "the full cache is not compressed");
        assertTrue(out.contains("Q2  What is the room number of suzoz?"), out);
        assertTrue(out.contains("expected: 834 912"), out);
    }

    @Test
    void helpPrintsUsage() {
        Console console = new Console();
        assertEquals(ExitCodes.OK, DemoApp.run(new String[] {"--help"}, console.out, console.err));
        assertTrue(console.out().contains("Usage: ./chunkkv demo"));
    }

    @Test
    void badOptionsExitWithCode2AndSayWhatIsWrong() {
        assertUsageError("Unknown options: '--modle', 'x'", "--modle", "x");
        assertUsageError("--policy: policy must be one of", "--policy", "chunky:keep=0.1");
        assertUsageError("--policy: ", "--policy", "chunkkv:keep=7");
        assertUsageError("Missing required parameter for option '--question'", "--question");
        assertUsageError("--context-tokens must be an integer >= 1, got 'many'", "--context-tokens", "many");
        assertUsageError("--context-tokens must be >= 150 (one segment), got 100", "--context-tokens", "100");
        assertUsageError("--question must not be blank", "--question", " ");
        assertUsageError("option '--model' (DIR) should be specified only once", "--model", "a", "--model", "b");
    }

    @Test
    void aBrokenModelFolderExitsWithCode3NamingTheFieldWithoutAStackTrace(@TempDir Path dir) throws Exception {
        Path model = TestModels.tinyLlama(dir);
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config).replaceFirst("\"vocab_size\"\\s*:\\s*\\d+", "\"vocab_size\": 100000"));
        Console console = new Console();
        assertEquals(ExitCodes.MISSING_MODEL, DemoApp.run(new String[] {"--model", model.toString()}, console.out, console.err));
        assertTrue(console.err().contains("config.json: field vocab_size implies 100000 rows"), console.err());
        assertFalse(console.err().contains("\tat "), "no stack trace: " + console.err());
    }

    @Test
    void aMissingModelExitsWithCode3(@TempDir Path empty) {
        Console console = new Console();
        assertEquals(ExitCodes.MISSING_MODEL, DemoApp.run(new String[] {"--model", empty.toString()}, console.out, console.err));
        assertTrue(console.err().contains("is not a Jlama model folder (no config.json there)"), console.err());
    }

    private static void assertUsageError(String expected, String... args) {
        Console console = new Console();
        assertEquals(ExitCodes.USAGE, DemoApp.run(args, console.out, console.err));
        assertTrue(console.err().contains(expected), "expected '" + expected + "' in: " + console.err());
    }
}
