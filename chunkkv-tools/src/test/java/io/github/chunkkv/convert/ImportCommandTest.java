package io.github.chunkkv.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ImportCommandTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = ImportCommand.commandLine();
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        return cmd.execute(args);
    }

    @Test
    void helpSucceedsAndAWrongArgumentCountIsAUsageError() {
        assertEquals(0, run("--help"));
        assertEquals(2, run("only-one.bin"));
        assertTrue(err.toString().contains("Missing required parameters"), err.toString());
    }

    @Test
    void missingInputFilesAreUsageErrorsThatWriteNothing(@TempDir Path tmp) {
        assertEquals(2, run(tmp.resolve("none.bin").toString(), tmp.resolve("tok.bin").toString(), tmp.resolve("out").toString()));
        assertTrue(err.toString().contains("must be an existing file"), err.toString());
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void importsTheVendoredStories260K(@TempDir Path tmp) {
        Path src = Path.of(System.getProperty("chunkkv.repo.dir", ".."), "models", "stories260K");
        assertEquals(0, run(src.resolve("stories260K.bin").toString(), src.resolve("tok512.bin").toString(), tmp.resolve("out").toString()));
        assertTrue(Files.isRegularFile(tmp.resolve("out/config.json")));
    }
}
