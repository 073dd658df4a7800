package io.github.chunkkv.examples.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.examples.TestModels;
import io.github.chunkkv.examples.TestModels.Console;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chat loop fed from a string, on a tiny random model: turns, reuse of the cache, commands. */
class ChatCliTest {
    private static final Pattern TURN = Pattern.compile("\\[prompt (\\d+) tok \\(reused (\\d+)\\) -> kept");

    @Test
    void laterTurnsContinueTheCompressedCache(@TempDir Path dir) {
        Console console = new Console();
        String input = "Hello there, this is a first message that is long enough to be compressed by the policy.\n"
                + "\n/stats\nAnd a second one?\n/stats\n/exit\nnever read\n";
        int code = ChatCli.run(new String[] {"--model", TestModels.tinyLlama(dir).toString(), "--policy", "chunkkv:keep=0.5,window=8,chunk=4",
                "--max-tokens", "3"}, new BufferedReader(new StringReader(input)), console.out, console.err);

        assertEquals(ExitCodes.OK, code, console.err());
        String out = console.out();
        Matcher turn = TURN.matcher(out);
        assertTrue(turn.find(), out);
        assertEquals("0", turn.group(2), "the first turn starts a conversation");
        int firstPrompt = Integer.parseInt(turn.group(1));
        assertTrue(turn.find(), out);
        assertTrue(Integer.parseInt(turn.group(2)) >= firstPrompt, "turn 2 reuses at least turn 1's prompt: " + turn.group());
        assertTrue(out.contains("1 turns; prefilled"), out);
        assertTrue(out.contains("2 turns; prefilled"), out);
        assertTrue(!turn.find(), "input after /exit is not read");
    }

    @Test
    void aTurnThatDoesNotFitTheContextIsRefusedAndTheChatGoesOn(@TempDir Path dir) {
        Console console = new Console();
        String input = "a".repeat(1100) + "\nHi?\n";
        int code = ChatCli.run(new String[] {"--model", TestModels.tinyLlama(dir).toString(), "--max-tokens", "2"},
                new BufferedReader(new StringReader(input)), console.out, console.err);

        assertEquals(ExitCodes.OK, code, console.err());
        String out = console.out();
        assertTrue(out.contains("[not sent: the prompt has"), out);
        Matcher turn = TURN.matcher(out);
        assertTrue(turn.find() && turn.group(2).equals("0"), "the next turn starts afresh: " + out);
    }

    @Test
    void contextFileIsSentAsOneParagraphBeforeTheFirstMessage(@TempDir Path dir) throws IOException {
        Path context = Files.writeString(dir.resolve("context.txt"), "x".repeat(300) + "\n\n  " + "y".repeat(300) + "\n");
        Console console = new Console();
        int code = ChatCli.run(new String[] {"--model", TestModels.tinyLlama(dir.resolve("model")).toString(), "--max-tokens", "2",
                "--context", context.toString()}, new BufferedReader(new StringReader("Question: what?\n")), console.out, console.err);

        assertEquals(ExitCodes.OK, code, console.err());
        Matcher turn = TURN.matcher(console.out());
        assertTrue(turn.find(), console.out());
        // char-level tokens: the 601-char paragraph, the message and the template's few characters
        int prompt = Integer.parseInt(turn.group(1));
        assertTrue(prompt > 601 + "Question: what?".length() && prompt < 601 + 40, "prompt tokens " + prompt);
    }

    @Test
    void badOptionsExitWithCode2() {
        Console console = new Console();
        int code = ChatCli.run(new String[] {"--max-tokens", "0"}, new BufferedReader(new StringReader("")), console.out, console.err);
        assertEquals(ExitCodes.USAGE, code);
        assertTrue(console.err().contains("--max-tokens must be an integer >= 1, got '0'"), console.err());

        Console missing = new Console();
        code = ChatCli.run(new String[] {"--context", "no/such/file.txt"}, new BufferedReader(new StringReader("")), missing.out, missing.err);
        assertEquals(ExitCodes.USAGE, code);
        assertTrue(missing.err().contains("--context: cannot read no/such/file.txt"), missing.err());
    }
}
