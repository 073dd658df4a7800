package io.github.chunkkv.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.examples.TestModels.Console;
import io.github.chunkkv.examples.agent.AgentExample;
import io.github.chunkkv.examples.chat.ChatCli;
import io.github.chunkkv.examples.rag.RagExample;
import java.io.BufferedReader;
import java.io.StringReader;
import java.util.function.BiFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every example command prints generated help under the name users type, with its options and the exit codes. */
class CommandsHelpTest {
    @ParameterizedTest
    @ValueSource(strings = {"demo", "chat", "rag", "agent"})
    void helpNamesTheCommandItsOptionsAndTheExitCodes(String name) {
        Console console = new Console();
        assertEquals(ExitCodes.OK, command(name).apply(new String[] {"--help"}, console));
        String help = console.out();
        assertTrue(help.startsWith("Usage: ./chunkkv " + name + " "), help);
        assertTrue(help.contains("-h, --help"), help);
        assertTrue(help.contains("Exit codes:") && help.contains("3   the model folder is absent or has no config.json"), help);
        assertEquals("", console.err());
    }

    private static BiFunction<String[], Console, Integer> command(String name) {
        return switch (name) {
            case "demo" -> (args, c) -> DemoApp.run(args, c.out, c.err);
            case "chat" -> (args, c) -> ChatCli.run(args, new BufferedReader(new StringReader("")), c.out, c.err);
            case "rag" -> (args, c) -> ExitCodes.execute(new RagExample(), args, c.out, c.err);
            case "agent" -> (args, c) -> AgentExample.run(args, c.out, c.err);
            default -> throw new IllegalArgumentException(name);
        };
    }
}
