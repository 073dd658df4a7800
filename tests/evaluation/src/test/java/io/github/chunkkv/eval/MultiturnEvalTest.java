package io.github.chunkkv.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.testing.RealModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval multiturn} end to end on needle-lm, small: 3 turns over 400-token contexts, both modes. */
class MultiturnEvalTest {
    private static final Pattern TURN = Pattern.compile("multiturn mode=(turns|requests) policy=(\\S+) turn=(\\d+) accuracy=(\\d\\.\\d{4}) hot_kv_fraction=(\\d\\.\\d{4}) promoted_rows=(\\d+\\.\\d{4})");
    private static final Pattern SUMMARY = Pattern.compile(
            "multiturn mode=(turns|requests) policy=(\\S+) accuracy=(\\d\\.\\d{4}) hot_kv_fraction=(\\d\\.\\d{4}) reselect_ms=(\\d+\\.\\d{4}) prefill_ms=(\\d+\\.\\d{4})");

    @TempDir
    Path tmp;

    @Test
    void fullKvAnswersEveryTurnAndEveryLineHasTheDocumentedFormat() throws Exception {
        Set<Path> snapshotDirsBefore = snapshotDirs();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = EvalCli.run(new String[] {"multiturn", "--model", RealModels.needleLm().toString(), "--policy", "full", "--policy",
                "chunkkv:keep=0.1,recall=ram", "--turns", "3", "--lengths", "400", "--samples", "2", "--out", tmp.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2 * 2 * (3 + 1), lines.size(), String.join("\n", lines));
        int fullTurns = 0;
        for (String line : lines) {
            Matcher turn = TURN.matcher(line), summary = SUMMARY.matcher(line);
            assertTrue(turn.matches() || summary.matches(), line);
            Matcher m = turn.matches() ? turn : summary;
            if (m.group(2).equals("full")) {
                assertEquals("1.0000", m.group(turn.matches() ? 4 : 3), line);
                assertEquals("1.0000", m.group(turn.matches() ? 5 : 4), line);
                if (turn.matches()) fullTurns++;
            } else {
                double hot = Double.parseDouble(m.group(turn.matches() ? 5 : 4));
                assertTrue(hot > 0 && hot < 0.3, "keep=0.1 holds a small share of FullKV's bytes: " + line);
            }
        }
        assertEquals(2 * 3, fullTurns);
        for (String file : List.of("multiturn.csv", "multiturn.json", "multiturn_turns.csv", "multiturn-turns.png", "multiturn-requests.png")) {
            assertTrue(Files.size(tmp.resolve(file)) > 0, file);
        }
        assertEquals("mode,policy,turn,accuracy,hot_kv_fraction,resident_kv_fraction,promoted_rows,ci95_low,ci95_high,cases",
                Files.readAllLines(tmp.resolve("multiturn_turns.csv")).get(0));
        assertEquals(snapshotDirsBefore, snapshotDirs(), "the run deletes its snapshot folders");
    }

    /** Snapshot folders in the temp directory (this module's own, see its pom; only what this run adds counts). */
    private static Set<Path> snapshotDirs() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(p -> p.getFileName().toString().startsWith("chunkkv-multiturn-")).collect(Collectors.toSet());
        }
    }

    @Test
    void followUpTurnsAreWhatTheChatTemplateRendersAfterAReply() {
        try (EvalModel model = EvalModel.load(RealModels.needleLm())) {
            String rendered = model.model().promptSupport().orElseThrow().builder()
                    .addUserMessage("Some text.\nQuestion: " + NeedleFormat.question("bonat"))
                    .addAssistantMessage("641 071 569")
                    .addUserMessage("Question: " + NeedleFormat.question("lepuv"))
                    .build().getPrompt();
            assertEquals(NeedleFormat.prompt("Some text.", "bonat") + " 641 071 569" + NeedleFormat.followUpTurn("lepuv"), rendered);
            assertTrue(model.isEos(model.encode(NeedleFormat.followUpTurn("lepuv"))[0]), "the reply's end is the end-of-sequence token");
        }
    }

    @Test
    void contextsHoldDistinctNeedlesAtSpreadDepthsAndSplitCleanlyBeforeTheQuestion() {
        Path dir = RealModels.needleLm();
        try (EvalModel model = EvalModel.load(dir)) {
            NiahCaseBuilder builder = new NiahCaseBuilder(model, Haystack.load(dir.resolve("haystack-nt.txt")), 3);
            MultiturnCase c = builder.multiturn(4, 600, 0, MultiturnEval.reservedTokens(model, 4));
            assertEquals(4, c.asked().stream().map(MultiturnCase.Needle::key).distinct().count());
            double[] depths = c.asked().stream().mapToDouble(MultiturnCase.Needle::depth).sorted().toArray();
            for (int i = 0; i < depths.length; i++) assertTrue(depths[i] >= i / 4.0 && depths[i] < (i + 1) / 4.0, Arrays.toString(depths));
            String context = model.text().decode(c.context());
            for (MultiturnCase.Needle n : c.asked()) {
                assertTrue(context.contains(NeedleFormat.needle(n.key(), n.value())), n.toString());
                String fromStart = model.text().decode(Arrays.copyOfRange(c.context(), n.start(), c.context().length)).strip();
                assertTrue(fromStart.startsWith(NeedleFormat.needle(n.key(), n.value())), n + " starts at token " + n.start() + ": " + fromStart);
            }
            // the context and the first question, encoded apart, are the tokens of the whole first-turn prompt
            String text = context.substring(NeedleFormat.start("").length());
            int[] whole = model.encodeWithBos(NeedleFormat.prompt(text, c.asked().get(0).key()));
            int[] apart = java.util.stream.IntStream.concat(Arrays.stream(c.context()),
                    Arrays.stream(model.encode(NeedleFormat.questionTurn(c.asked().get(0).key())))).toArray();
            assertArrayEquals(whole, apart);
            assertTrue(whole.length <= 600, "first turn fits its length: " + whole.length);
        }
    }
}
