package io.github.chunkkv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class ExitCodesTest {
    /** Throws what {@code --throw} names, or succeeds. */
    @Command(name = "probe")
    static final class Probe implements Callable<Integer> {
        @Option(names = "--throw", description = "missing | refused | bug")
        String failure;

        @Option(names = "--count")
        int count;

        @Override
        public Integer call() {
            if (failure == null) return ExitCodes.OK;
            throw switch (failure) {
                case "missing" -> new MissingModelException("no config.json in /x");
                case "refused" -> new IllegalArgumentException("input.bin must be an existing file");
                default -> new IllegalStateException("a bug");
            };
        }
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return ExitCodes.execute(new Probe(), args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpIsGeneratedUnderTheLaunchersName() {
        assertEquals(ExitCodes.OK, run("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        assertTrue(help.startsWith("Usage: ./chunkkv probe"), help);
        assertTrue(help.contains("Exit codes:") && help.contains("3   the model folder is absent or has no config.json"), help);
    }

    @Test
    void parseErrorsAreUsageErrorsNamingTheOptionAndPointingAtHelp() {
        assertEquals(ExitCodes.USAGE, run("--count", "many"));
        assertTrue(err().startsWith("chunkkv probe: Invalid value for option '--count'"), err());
        assertTrue(err().contains("Try './chunkkv probe --help'."), err());
    }

    @Test
    void aMisspelledOptionGetsASuggestion() {
        assertEquals(ExitCodes.USAGE, run("--cont", "1"));
        assertTrue(err().contains("Unknown options: '--cont'") && err().contains("Possible solutions: --count"), err());
    }

    @Test
    void exceptionsMapToTheirExitCodes() {
        assertEquals(ExitCodes.MISSING_MODEL, run("--throw", "missing"));
        assertTrue(err().startsWith("chunkkv probe: no config.json in /x"), err());
        assertEquals(ExitCodes.USAGE, run("--throw", "refused"));
        assertTrue(err().contains("chunkkv probe: input.bin must be an existing file"), err());
        assertEquals(ExitCodes.FAILURE, run("--throw", "bug"));
        assertTrue(err().contains("chunkkv probe: failed: java.lang.IllegalStateException: a bug"), err());
    }

    @Test
    void theConventionIsZeroTwoThreeOne() {
        assertEquals(0, ExitCodes.OK);
        assertEquals(2, ExitCodes.USAGE);
        assertEquals(3, ExitCodes.MISSING_MODEL);
        assertEquals(1, ExitCodes.FAILURE);
    }
}
