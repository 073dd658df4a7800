package io.github.chunkkv.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.examples.TestModels.Console;
import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.needle.NeedleFormat.Fact;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./chunkkv agent}: offline on the embedded tool-calling model, full KV against ChunkKV keep 0.1 with recall. */
class AgentExampleTest {
    private static final Pattern SUMMARY = Pattern.compile(
            "agent policy=(\\S+) steps=(\\d+) tool_calls=(\\d+) correct=(\\d+) total=(\\d+) kv_bytes=(\\d+) kv_bytes_full=(\\d+)");

    @Test
    void runsOfflineOnTheEmbeddedModelAndAnswersWithRecallAsWithTheFullCache() {
        Console console = new Console();
        assertEquals(ExitCodes.OK, AgentExample.run(new String[0], console.out, console.err), console.err());
        String out = console.out();
        List<Matcher> summaries = out.lines().filter(l -> l.startsWith("agent ")).map(SUMMARY::matcher).toList();
        assertEquals(2, summaries.size(), out);
        summaries.forEach(m -> assertTrue(m.matches(), "summary line format: " + m));
        Matcher full = summaries.get(0);
        Matcher compressed = summaries.get(1);
        assertTrue(full.group(1).startsWith("full"), full.group(1));
        assertEquals(AgentExample.DEFAULT_POLICY.toSpec(), compressed.group(1));
        for (Matcher m : summaries) {
            assertEquals("9", m.group(2), "six answers and three tool calls");
            assertEquals("3", m.group(3), "every fact missing from the documents is looked up");
            assertEquals("6", m.group(5));
        }
        assertEquals("6", full.group(4), "FullKV answers every question");
        assertEquals(full.group(4), compressed.group(4), "keep 0.1 with recall answers as many as FullKV");
        assertEquals(full.group(6), full.group(7), "the full cache keeps everything");
        assertTrue(Long.parseLong(compressed.group(6)) * 4 < Long.parseLong(compressed.group(7)), "compressed: " + compressed.group());

        List<String> steps = out.lines().filter(l -> l.strip().startsWith("step ")).toList();
        assertEquals(18, steps.size(), out);
        for (int i = 0; i < steps.size(); i++) {
            boolean firstOfRun = i % 9 == 0;
            assertEquals(firstOfRun, steps.get(i).contains("(reused 0)"), "later steps continue the cache: " + steps.get(i));
        }
        assertTrue(steps.subList(9, 18).stream().allMatch(l -> l.contains("| hot ") && l.contains(" cold ")), "tiers per step with recall");
        assertEquals(6, steps.stream().filter(l -> l.contains("| calls lookup{\"key\":")).count(), "three calls per run");
    }

    @Test
    void aFolderWithoutAModelExitsWithThree(@TempDir Path empty) {
        Console console = new Console();
        assertEquals(ExitCodes.MISSING_MODEL, AgentExample.run(new String[] {"--model", empty.toString()}, console.out, console.err));
        assertTrue(console.err().contains("--model " + empty + " is not a Jlama model folder"), console.err());
    }

    @Test
    void aBadPolicyExitsWithTwoBeforeLoadingAnything() {
        Console console = new Console();
        assertEquals(ExitCodes.USAGE, AgentExample.run(new String[] {"--policy", "chunkkv:keep=2"}, console.out, console.err));
        assertTrue(console.err().contains("--policy"), console.err());
        assertEquals("", console.out());
    }

    @Test
    void theTaskAlternatesStatedFactsAndFactsOnlyTheToolKnows() {
        AgentTask task = AgentTask.create(EmbeddedModel.defaultDir(AgentExample.RELATIVE_DIR));
        List<Fact> stated = NeedleFormat.findFacts(task.documents());
        assertEquals(6, task.questions().size());
        for (int i = 0; i < task.questions().size(); i++) {
            Fact fact = task.questions().get(i);
            assertEquals(i % 2 == 0, stated.contains(fact), "question " + i + " about " + fact);
            assertEquals(i % 2 == 1, task.table().contains(fact), "question " + i + " about " + fact);
        }
        assertTrue(task.message(0).startsWith(NeedleFormat.userMessage(List.of(task.documents()), "").strip()), "documents first");
        assertEquals("Question: " + task.questions().get(1).question(), task.message(1));
    }

    @Test
    void theToolAnswersFromItsTableAndRecordsEveryCall() {
        Fact fact = new Fact(NeedleFormat.FactKind.SECRET_WORD, "mapaz", "wheels");
        FactTools tools = new FactTools(List.of(fact));
        assertEquals("wheels", tools.lookup("mapaz"));
        assertEquals(FactTools.UNKNOWN, tools.lookup("tegev"));
        assertEquals(List.of("lookup(mapaz)", "lookup(tegev)"), tools.calls());
    }
}
