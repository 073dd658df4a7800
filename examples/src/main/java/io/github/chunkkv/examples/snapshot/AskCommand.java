package io.github.chunkkv.examples.snapshot;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.GenerationOptions;
import io.github.chunkkv.jlama.GenerationResult;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.jlama.TextListener;
import io.github.chunkkv.needle.NeedleFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./chunkkv ask}: loads a snapshot written by {@code ./chunkkv snapshot}, asks one question and prints one line
 * with the answer, whether it is right (when the expected answer is known), the load time, the prefill time the
 * snapshot saved and the KV bytes the answer was decoded with, against a full cache's.
 */
@Command(name = "ask", description = "Answers a question about a document from its snapshot.")
public final class AskCommand implements Callable<Integer> {
    @Option(names = "--snapshot", required = true, paramLabel = "FILE", description = "snapshot written by ./chunkkv snapshot")
    Path snapshot;

    @Option(names = "--question", required = true, paramLabel = "TEXT", description = "the question about the document")
    String question;

    @Option(names = "--model", paramLabel = "DIR", description = "the Jlama model folder the snapshot was made with (default: models/needle-lm)")
    Path model;

    @Option(names = "--expected", paramLabel = "TEXT", description = "the right answer (default: the document's fact the question asks for, if any)")
    String expected;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return ExitCodes.commandLine(new AskCommand());
    }

    @Override
    public Integer call() {
        if (question.isBlank()) throw new IllegalArgumentException("--question must not be blank");
        if (!Files.isRegularFile(snapshot)) throw new IllegalArgumentException("--snapshot " + snapshot + " is not a readable file");
        Path dir = EmbeddedModel.resolve(Optional.ofNullable(model));
        try (AbstractModel jlama = ChunkKvJlama.loadJlamaModel(dir); ChunkKvModel m = ChunkKvJlama.wrap(jlama, ChunkKvConfig.full())) {
            long start = System.nanoTime();
            KvSession session = m.load(snapshot); // the snapshot carries its own policy
            long loadNanos = System.nanoTime() - start;
            long prefillNanosSaved = session.lastStats() == null ? 0 : session.lastStats().prefillNanos();
            Optional<String> expectedAnswer = Optional.ofNullable(expected).map(String::strip).or(() -> documentFact(m, session.tokens()));
            int[] questionTokens = m.encode(PromptContext.of(DocumentPrompt.questionPart(m.promptSupport(), question)), false);
            long positions = session.position() + questionTokens.length; // the context the answer is computed over
            GenerationResult result = session.generate(questionTokens, GenerationOptions.maxTokens(NeedleFormat.MAX_ANSWER_TOKENS), TextListener.NONE);
            String answer = NeedleFormat.answer(result.text());
            String correct = expectedAnswer.map(e -> "correct=" + e.equals(answer) + " ").orElse("");
            spec.commandLine().getOut().printf(Locale.ROOT, "ask %sanswer=\"%s\" load_ms=%.1f prefill_ms_saved=%.1f kv_bytes=%d kv_bytes_full=%d"
                            + " kv_bytes_allocated=%d%n",
                    correct, answer.replace("\"", "\\\""), loadNanos / 1e6, prefillNanosSaved / 1e6, result.stats().kvBytesAfter(),
                    positions * m.kvBytesPerPosition(), result.kvAllocatedBytes());
        }
        return ExitCodes.OK;
    }

    /** The value of the needle fact the question asks for, read from the snapshot's own tokens. */
    private Optional<String> documentFact(ChunkKvModel m, int[] tokens) {
        String text = m.getTokenizer().decode(Arrays.stream(tokens).asLongStream().toArray());
        return NeedleFormat.parseQuestion(question, NeedleFormat.findFacts(text)).map(NeedleFormat.Fact::value);
    }
}
