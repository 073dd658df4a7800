package io.github.chunkkv.eval;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.GenerationOptions;
import io.github.chunkkv.jlama.GenerationResult;
import io.github.chunkkv.jlama.GenerationResult.StopReason;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.RecallStats;
import io.github.chunkkv.jlama.TextListener;
import io.github.chunkkv.needle.NeedleFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Multi-turn retrieval from one shared context, in the manner of SCBench: each case's context holds one needle per
 * turn and every turn asks for a different one. In {@link MultiturnMode#TURNS} one session gets the context with the
 * first question, then each later question as a follow-up turn after the model's own reply (as a chat memory re-sends
 * it). In {@link MultiturnMode#REQUESTS} the context is prefilled and compressed once with no question in sight,
 * saved as a snapshot, and each question is answered by a fresh load of that snapshot. Answers are greedy and scored
 * by exact match of the value.
 */
public final class MultiturnEval {
    /** Greedy answers end at the model's end-of-sequence or at a line break, as {@link NeedleFormat#answer} reads them. */
    private static final GenerationOptions ANSWER = GenerationOptions.maxTokens(NeedleFormat.MAX_ANSWER_TOKENS).withStopSequences(List.of("\n"));

    private final EvalModel model;
    private final List<MultiturnCase> cases;

    /**
     * One turn's answer and what the cache held while answering it.
     *
     * @param hotKvFraction hot KV bytes over FullKV's bytes at the same position
     * @param residentKvFraction hot bytes plus the cold tier's heap bytes, over FullKV's bytes
     * @param selectNanos re-selection time of the turn's prefill (recall statistics), or its compression time without recall
     * @param promotedRows rows decode-time recall moved from the cold tier into the hot cache while the answer was decoded
     * @param decodeNanos wall time of the answer's decoding (first sample to end)
     * @param answerTokens tokens the answer sampled
     */
    public record Turn(boolean correct, String answer, double hotKvFraction, double residentKvFraction, long selectNanos, long promotedRows,
            long decodeNanos, int answerTokens) {}

    /**
     * One case under one policy.
     *
     * @param firstPrefillNanos wall time of the first prefill: the context and first question (turns) or the context alone (requests)
     */
    public record CaseOutcome(MultiturnCase c, List<Turn> turns, long firstPrefillNanos) {}

    public MultiturnEval(EvalModel model, List<MultiturnCase> cases) {
        if (cases.isEmpty()) throw new IllegalArgumentException("the multi-turn evaluation needs at least one case");
        this.model = model;
        this.cases = List.copyOf(cases);
    }

    /** Tokens a case needs after its first prompt: every answer and every follow-up question. */
    public static int reservedTokens(EvalModel model, int turns) {
        return turns * (NeedleFormat.MAX_ANSWER_TOKENS + model.encode(NeedleFormat.followUpTurn("key")).length);
    }

    public List<MultiturnCase> cases() {
        return cases;
    }

    /**
     * Rows per (mode, policy, turn) and per (mode, policy), handed to {@code onRow} as they are measured. The first
     * case runs once per policy beforehand, unmeasured, so that timings do not include the JIT compiling the kernels.
     */
    public MultiturnResults run(List<MultiturnMode> modes, List<String> policies, Consumer<ResultRow> onRow) {
        for (String spec : policies) turns(cases.get(0), ChunkKvConfig.parse(spec));
        List<MultiturnTurnRow> turnRows = new ArrayList<>();
        List<MultiturnRow> summaries = new ArrayList<>();
        for (MultiturnMode mode : modes) {
            for (String spec : policies) {
                List<CaseOutcome> outcomes = outcomes(mode, ChunkKvConfig.parse(spec));
                int turns = outcomes.get(0).turns().size();
                for (int t = 0; t < turns; t++) {
                    int turn = t;
                    MultiturnTurnRow row = MultiturnTurnRow.of(mode, spec, t + 1, outcomes.stream().map(o -> o.turns().get(turn)).toList());
                    turnRows.add(row);
                    onRow.accept(row);
                }
                MultiturnRow summary = MultiturnRow.of(mode, spec, outcomes);
                summaries.add(summary);
                onRow.accept(summary);
            }
        }
        return new MultiturnResults(turnRows, summaries);
    }

    /** Every case's outcome under {@code config}, in case order. */
    public List<CaseOutcome> outcomes(MultiturnMode mode, ChunkKvConfig config) {
        return cases.stream().map(c -> mode == MultiturnMode.TURNS ? turns(c, config) : requests(c, config)).toList();
    }

    private CaseOutcome turns(MultiturnCase c, ChunkKvConfig config) {
        List<Turn> turns = new ArrayList<>();
        long firstPrefill = 0;
        try (KvSession session = model.openSession(config)) {
            int[] carried = new int[0]; // the last reply's final token when the session has not seen it yet
            for (MultiturnCase.Needle needle : c.asked()) {
                int[] prompt = turns.isEmpty() ? concat(c.context(), model.encode(NeedleFormat.questionTurn(needle.key())))
                        : concat(carried, model.encode(NeedleFormat.followUpTurn(needle.key())));
                GenerationResult result = session.generate(prompt, ANSWER, TextListener.NONE);
                if (turns.isEmpty()) firstPrefill = result.prefillNanos();
                turns.add(turn(session, needle, result));
                carried = replyContinues(result.stopReason()) ? new int[] {result.lastSampledToken()} : new int[0];
            }
        }
        return new CaseOutcome(c, turns, firstPrefill);
    }

    private CaseOutcome requests(MultiturnCase c, ChunkKvConfig config) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("chunkkv-multiturn-");
            Path snapshot = dir.resolve("context.snapshot");
            long firstPrefill;
            try (KvSession session = model.openSession(config)) {
                long start = System.nanoTime();
                session.prefill(c.context());
                firstPrefill = System.nanoTime() - start;
                session.save(snapshot);
            }
            List<Turn> turns = new ArrayList<>();
            for (MultiturnCase.Needle needle : c.asked()) {
                try (KvSession session = model.model().load(snapshot)) {
                    GenerationResult result = session.generate(model.encode(NeedleFormat.questionTurn(needle.key())), ANSWER, TextListener.NONE);
                    turns.add(turn(session, needle, result));
                }
            }
            return new CaseOutcome(c, turns, firstPrefill);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a folder for the context's snapshot", e);
        } finally {
            deleteSnapshotDir(dir);
        }
    }

    /** A reply that ended on a token limit goes on in the conversation with its last token; otherwise that token is not part of it. */
    private static boolean replyContinues(StopReason reason) {
        return reason == StopReason.MAX_TOKENS || reason == StopReason.CONTEXT_FULL;
    }

    private Turn turn(KvSession session, MultiturnCase.Needle needle, GenerationResult result) {
        String answer = NeedleFormat.answer(result.text());
        double full = (double) session.position() * model.model().kvBytesPerPosition();
        RecallStats recall = session.lastRecallStats();
        long select = recall != null ? recall.reselectNanos() : result.stats().compressNanos();
        return new Turn(answer.equals(needle.value()), answer, session.kvBytes() / full, (session.kvBytes() + session.coldBytesInRam()) / full, select,
                session.rowsPromotedWhileDecoding(), result.decodeNanos(), result.generatedTokens());
    }

    private static int[] concat(int[] a, int[] b) {
        return IntStream.concat(IntStream.of(a), IntStream.of(b)).toArray();
    }

    private static void deleteSnapshotDir(Path dir) {
        if (dir == null) return;
        try {
            Files.deleteIfExists(dir.resolve("context.snapshot"));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the snapshot folder " + dir, e);
        }
    }
}
