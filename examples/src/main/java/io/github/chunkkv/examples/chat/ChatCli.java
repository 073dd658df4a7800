package io.github.chunkkv.examples.chat;

import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.examples.ModelOptions;
import io.github.chunkkv.examples.OptionValues;
import io.github.chunkkv.examples.Progress;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./chunkkv chat}: an interactive multi-turn chat on a ChunkKV-compressed cache ({@link Conversation}): each line
 * on stdin is a user turn, {@code /stats} sums the conversation up, {@code /exit} (or end of input) ends it.
 */
@Command(name = "chat",
        description = {"Multi-turn chat with a Jlama model whose KV cache is compressed after every prompt.", ""},
        footer = {
            "%nType a message and Enter. Commands: /stats (conversation totals), /exit.",
            "The embedded model answers questions about a text given first, in the form \"Question: What is ...?\", e.g.",
            "  ./chunkkv chat --context \\",
            "      examples/src/main/resources/demo-docs/gospel-excerpt-3.txt",
            "  > Question: What is the secret word for duzaz?",
            "A typed \\n is a line break. After compression, follow-up questions are answered from what the cache kept."})
public final class ChatCli implements Callable<Integer> {
    static final int DEFAULT_MAX_TOKENS = 64;

    private final BufferedReader in;
    private final PrintStream out;
    private final PrintStream err;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    private int maxTokens = DEFAULT_MAX_TOKENS;
    /** Text sent before the first message, e.g. a document to ask about; empty when none. */
    private String context = "";

    ChatCli(BufferedReader in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    @Option(names = "--max-tokens", paramLabel = "N", description = "reply length limit in tokens (default: 64)")
    void maxTokens(String value) {
        maxTokens = OptionValues.positiveInt(spec, "--max-tokens", value);
    }

    /** The file's text as one paragraph (single spaces), the way the embedded model reads context. */
    @Option(names = "--context", paramLabel = "FILE",
            description = "a text the conversation is about: sent, as one paragraph, before the first message")
    void context(Path file) {
        try {
            context = Files.readString(file).replaceAll("\\s+", " ").strip();
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "--context: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static void main(String[] args) {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.exit(run(args, in, System.out, System.err));
    }

    /** Chats over the lines of {@code in} until {@code /exit} or its end; returns the process exit code ({@link ExitCodes}). */
    public static int run(String[] args, BufferedReader in, PrintStream out, PrintStream err) {
        return ExitCodes.execute(new ChatCli(in, out, err), args, out, err);
    }

    @Override
    public Integer call() {
        Path modelDir = modelOptions.modelDir();
        ChunkKvConfig policy = modelOptions.policy();
        try (Progress progress = new Progress(err)) {
            ChunkKvJlamaChatModel model = progress.during("loading model " + modelDir, () -> ChunkKvJlamaChatModel.builder()
                    .modelPath(modelDir)
                    .kvCompression(policy)
                    .maxOutputTokens(maxTokens)
                    .build());
            try (model) {
                out.println("Chatting with " + modelDir.getFileName() + ", KV policy " + policy.toSpec() + ". /stats, /exit");
                new Conversation(model, out, context).run(in, progress);
            }
            return ExitCodes.OK;
        }
    }
}
