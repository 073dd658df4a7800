package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCliTest {
    @TempDir
    Path tmp;

    private record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = EvalCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpForEveryCommand() {
        assertEquals(0, run("--help").status());
        for (String command : new String[] {"fidelity", "niah", "reuse", "multiturn", "all"}) {
            Result r = run(command, "--help");
            assertEquals(0, r.status(), command);
            assertTrue(r.out().contains("eval " + command), r.out());
        }
    }

    @Test
    void badArgumentsExitWithTwoAndSayWhy() {
        assertBad(run(), "Usage");
        assertBad(run("benchmark"), "unknown command 'benchmark'");
        assertBad(run("fidelity"), "--model DIR is required");
        assertBad(run("fidelity", "--model", tmp.toString()), "must be a Jlama model folder containing config.json");
        assertBad(run("fidelity", "--modle", "x"), "unknown option --modle");
        assertBad(run("fidelity", "--model"), "option --model needs a value");
        assertBad(run("fidelity", "--keep", "0.5,2", "--model", tmp.toString()), "--keep values must be in");
        assertBad(run("fidelity", "--prompts", "many"), "--prompts must be an integer");
        assertBad(run("fidelity", "--policies", "chunkkv,lru"), "policy must be one of");
        assertBad(run("niah", "--tasks", "single,triple", "--model", tmp.toString()), "task must be one of single, multikey");
        assertBad(run("niah", "--samples", "0"), "--samples must be in [1, 10000]");
        assertBad(run("reuse", "--reuse", "0"), "--reuse must be in [1, 64]");
        assertBad(run("multiturn", "--mode", "chat"), "--mode must be one of turns, requests, both");
        assertBad(run("multiturn", "--turns", "0"), "--turns must be in [1, 32]");
        assertBad(run("multiturn", "--policy", "chunkkv:keep=0.1,recall=tape"), "recall");
        assertBad(run("multiturn", "--lengths", "2048,lots"), "--lengths must be a list of integers");
    }

    @Test
    void aMissingModelFolderExitsWithThree() {
        Result r = run("multiturn", "--model", tmp.resolve("absent").toString());
        assertEquals(3, r.status(), r.err());
        assertTrue(r.err().contains("does not exist"), r.err());
        assertEquals(3, run("niah", "--model", tmp.resolve("absent").toString()).status());
    }

    private static void assertBad(Result r, String fragment) {
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains(fragment), "stderr '" + r.err() + "' should contain '" + fragment + "'");
    }
}
