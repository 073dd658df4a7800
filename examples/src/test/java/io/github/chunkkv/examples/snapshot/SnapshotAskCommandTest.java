package io.github.chunkkv.examples.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.examples.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ./chunkkv snapshot} and {@code ask} end to end on needle-lm, and their exit codes. */
class SnapshotAskCommandTest {
    @TempDir
    Path dir;

    static final Path DOCUMENT = Path.of(System.getProperty(EmbeddedModel.REPO_DIR_PROPERTY, "."), "examples", "src", "main", "resources",
            "demo-docs", "gospel-excerpt-1.txt");

    private static int run(CommandLine cli, TestModels.Console console, String... args) {
        cli.setOut(new java.io.PrintWriter(console.out, true));
        cli.setErr(new java.io.PrintWriter(console.err, true));
        return cli.execute(args);
    }

    @Test
    void aSnapshotAnswersAQuestionInOneLineAndACorruptOneIsRefused() throws IOException {
        Path model = TestModels.needleLm();
        Path snap = dir.resolve("doc.snap");
        TestModels.Console console = new TestModels.Console();
        assertEquals(0, run(SnapshotCommand.commandLine(), console, "--model", model.toString(), "--document", DOCUMENT.toString(),
                "--out", snap.toString()), console.err());
        assertTrue(console.out().startsWith("snapshot tokens="), console.out());

        TestModels.Console ask = new TestModels.Console();
        assertEquals(0, run(AskCommand.commandLine(), ask, "--model", model.toString(), "--snapshot", snap.toString(), "--question",
                "What is the secret word for mapaz?"), ask.err());
        String line = ask.out().strip();
        assertFalse(line.contains("\n"), line);
        assertTrue(line.matches("ask correct=(true|false) answer=\".*\" load_ms=[0-9.]+ prefill_ms_saved=[0-9.]+ kv_bytes=\\d+ kv_bytes_full=\\d+ kv_bytes_allocated=\\d+"), line);

        TestModels.Console unknown = new TestModels.Console();
        assertEquals(0, run(AskCommand.commandLine(), unknown, "--model", model.toString(), "--snapshot", snap.toString(), "--question",
                "Who wrote this?"));
        assertTrue(unknown.out().startsWith("ask answer="), "correct is omitted when no answer is known: " + unknown.out());

        byte[] bytes = Files.readAllBytes(snap);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(snap, bytes);
        TestModels.Console corrupt = new TestModels.Console();
        assertEquals(2, run(AskCommand.commandLine(), corrupt, "--model", model.toString(), "--snapshot", snap.toString(), "--question", "x?"));
        assertTrue(corrupt.err().contains("corrupt"), corrupt.err());
    }

    @Test
    void exitCodes() {
        TestModels.Console c = new TestModels.Console();
        assertEquals(0, run(SnapshotCommand.commandLine(), c, "--help"));
        assertTrue(c.out().contains("Exit codes"), c.out());
        assertEquals(2, run(SnapshotCommand.commandLine(), new TestModels.Console(), "--out", "x"), "missing --document");
        assertEquals(2, run(SnapshotCommand.commandLine(), new TestModels.Console(), "--document", DOCUMENT.toString(), "--out",
                dir.resolve("s").toString(), "--policy", "chunkkv:keep=2"), "bad policy");
        assertEquals(3, run(SnapshotCommand.commandLine(), new TestModels.Console(), "--model", dir.toString(), "--document",
                DOCUMENT.toString(), "--out", dir.resolve("s").toString()), "not a model folder");
        assertEquals(2, run(AskCommand.commandLine(), new TestModels.Console(), "--snapshot", dir.resolve("none").toString(), "--question", "q"));
        assertFalse(Files.exists(dir.resolve("s")), "nothing written");
    }
}
