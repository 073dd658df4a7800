package io.github.chunkkv.examples;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.cli.MissingModelException;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.examples.rag.RagPipeline;
import io.github.chunkkv.examples.rag.Retrieved;
import io.github.chunkkv.jlama.ModelFolderException;
import io.github.chunkkv.langchain4j.ChunkKvChatRequestParameters;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.needle.NeedleFormat;
import io.github.chunkkv.needle.NeedleFormat.Fact;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./chunkkv demo}: offline long-context RAG with a compressed KV cache. The bundled documents (long prose with
 * a few facts buried in it) are split, embedded with the in-process all-MiniLM-L6-v2 and stored in memory; for each
 * question the best segments (about 1500 tokens) are retrieved and answered by the embedded needle-lm through
 * {@link ChunkKvJlamaChatModel}, first with ChunkKV keeping 10% of the KV cache, then with the full cache.
 *
 * <p>The documents ({@code demo-docs/*.txt}) are excerpts of the King James New Testament (public domain; the text
 * needle-lm never saw in training) with ten facts inserted at random depths in needle-lm's format ({@link
 * NeedleFormat}), using keys and secret words from the model's {@code keys.txt} and {@code words.txt}.
 */
@Command(name = "demo",
        description = {
            "Answers questions about the bundled documents (examples/src/main/resources/demo-docs) by retrieval-augmented"
                    + " generation: all-MiniLM-L6-v2 embeddings in memory, answers by a Jlama model through the LangChain4j"
                    + " ChunkKvJlamaChatModel. Each question is answered twice: with the compressed KV cache, then with the"
                    + " full one.",
            ""},
        footer = {
            "%nPrints per question the answer, whether it is right (with the accuracy so far), and the cache statistics;",
            "per run one line",
            "  demo policy=P keep=R correct=K total=N kv_bytes=B kv_bytes_full=F",
            "       decode_ms_per_token=D",
            "(kv_bytes: cache after compression, kv_bytes_full: uncompressed, both the mean per question)."})
public final class DemoApp implements Callable<Integer> {
    static final String DOCUMENTS = "demo-docs";
    /** One question for each of the ten facts in the documents. */
    static final List<String> DEFAULT_QUESTIONS = List.of(
            "What is the special magic number for fipub?",
            "What is the secret word for duzaz?",
            "What is the room number of suzoz?",
            "What is the special magic number for tifas?",
            "What is the secret word for mapaz?",
            "What is the room number of rikev?",
            "What is the special magic number for rizat?",
            "What is the special magic number for togob?",
            "What is the special magic number for kizug?",
            "What is the secret word for sapig?");
    /** Asked once per run before the timed questions; no document holds its fact. */
    static final String WARM_UP_QUESTION = "What is the secret word for warm?";
    /** Retrieved text per question: long enough for the cache to matter, short of needle-lm's 2048 trained tokens. */
    static final int DEFAULT_CONTEXT_TOKENS = 1500;
    /** Short segments keep a fact's sentence prominent in its embedding (250 missed one of the ten facts, 150 none). */
    static final int SEGMENT_TOKENS = 150;

    private final PrintStream out;
    private final PrintStream err;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--question", paramLabel = "TEXT", description = {
        "a question to ask instead of the default ones (repeatable), e.g.", "\"What is the secret word for mapaz?\""})
    List<String> questions = List.of();

    private int contextTokens = DEFAULT_CONTEXT_TOKENS;

    DemoApp(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Option(names = "--context-tokens", paramLabel = "N", description = "retrieved tokens per question (default: 1500)")
    void contextTokens(String value) {
        int n = OptionValues.positiveInt(spec, "--context-tokens", value);
        if (n < SEGMENT_TOKENS) {
            throw new ParameterException(spec.commandLine(), "--context-tokens must be >= " + SEGMENT_TOKENS + " (one segment), got " + n);
        }
        contextTokens = n;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the demo; returns the process exit code ({@link ExitCodes}). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return ExitCodes.execute(new DemoApp(out, err), args, out, err);
    }

    @Override
    public Integer call() {
        if (questions.stream().anyMatch(String::isBlank)) throw new ParameterException(spec.commandLine(), "--question must not be blank");
        List<String> asked = questions.isEmpty() ? DEFAULT_QUESTIONS : questions;
        Path modelDir = modelOptions.modelDir();
        try (Progress progress = new Progress(err)) {
            run(modelDir, asked, progress);
            return ExitCodes.OK;
        } catch (ModelFolderException e) { // a folder Jlama cannot load is as unusable as a missing one
            throw new MissingModelException(e.getMessage());
        } catch (InvalidRequestException e) {
            throw new IllegalArgumentException(e.getMessage() + "; a smaller --context-tokens retrieves less text", e);
        }
    }

    private void run(Path modelDir, List<String> asked, Progress progress) {
        List<Document> documents = RagPipeline.load(DOCUMENTS);
        List<Fact> facts = documents.stream().flatMap(d -> NeedleFormat.findFacts(d.text()).stream()).toList();
        ChunkKvJlamaChatModel model = progress.during("loading model " + modelDir, () -> ChunkKvJlamaChatModel.builder()
                .modelPath(modelDir)
                .maxOutputTokens(NeedleFormat.MAX_ANSWER_TOKENS)
                .build());
        try (model) {
            EmbeddingModel embeddings = progress.during("loading the embedding model", AllMiniLmL6V2EmbeddingModel::new);
            RagPipeline rag = new RagPipeline(embeddings, model.tokenCountEstimator(), SEGMENT_TOKENS, contextTokens,
                    NeedleFormat::userMessage);
            List<TextSegment> segments = rag.split(documents);
            try (Progress.Bar bar = progress.bar("embedding segments", segments.size())) {
                rag.index(segments, bar::advance);
            }
            int documentTokens = documents.stream().mapToInt(d -> model.tokenCountEstimator().estimateTokenCountInText(d.text())).sum();
            out.printf("Ingested %d documents (%d tokens, %d facts) as %d segments; model %s%n%n",
                    documents.size(), documentTokens, facts.size(), segments.size(), modelDir.getFileName());

            List<Retrieved> retrieved = asked.stream().map(rag::retrieve).toList();
            ChunkKvConfig policy = modelOptions.policy();
            List<ChunkKvConfig> runs = policy.keepsEverything() ? List.of(policy) : List.of(policy, ChunkKvConfig.full());
            // One untimed answer per run first, to a question no run asks (so no run can reuse its session): the JIT then
            // compiles both paths before either is timed, and decode_ms_per_token compares the policies, not compilation.
            progress.during("warming up", () -> runs.stream()
                    .map(run -> rag.answer(model, WARM_UP_QUESTION, retrieved.get(0), parameters(run))).toList());
            for (ChunkKvConfig run : runs) answerAll(model, rag, progress, asked, retrieved, facts, run);
        }
    }

    private void answerAll(ChunkKvJlamaChatModel model, RagPipeline rag, Progress progress, List<String> questions,
            List<Retrieved> retrieved, List<Fact> facts, ChunkKvConfig policy) {
        out.println("== KV cache: " + policy.toSpec());
        ChunkKvChatRequestParameters parameters = parameters(policy);
        RunSummary summary = new RunSummary(policy);
        for (int i = 0; i < questions.size(); i++) {
            String question = questions.get(i);
            Retrieved context = retrieved.get(i);
            Optional<Fact> fact = NeedleFormat.parseQuestion(question, facts);
            ChatResponse response = progress.during("prefill and answer", () -> rag.answer(model, question, context, parameters));
            String answer = response.aiMessage().text().strip();
            Boolean correct = fact.map(f -> NeedleFormat.isCorrect(answer, f)).orElse(null);
            summary.add(response, correct);

            out.printf("Q%d  %s%n", i + 1, question);
            out.printf("    retrieved %d segments, %d tokens%s%n", context.segments().size(), context.tokens(),
                    fact.map(f -> context.contains(f.statement()) ? " (the answer is in them)"
                            : " (the answer is NOT in them)").orElse(""));
            out.printf("    answer: %-20s expected: %-20s %s%n", answer, fact.map(Fact::value).orElse("-"),
                    correct == null ? "(not a fact from the documents)"
                            : (correct ? "RIGHT" : "WRONG") + " (" + summary.correct() + "/" + summary.total() + " so far)");
            out.println("    " + KvReport.line(response));
        }
        out.println(summary.line());
        out.println();
    }

    private static ChunkKvChatRequestParameters parameters(ChunkKvConfig policy) {
        return ChunkKvChatRequestParameters.builder().kvCompression(policy).build();
    }
}
