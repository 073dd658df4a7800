package io.github.chunkkv.examples.chat;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.examples.CommandLine;
import io.github.chunkkv.examples.CommandLine.UsageException;
import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.examples.EmbeddedModel.MissingModelException;
import io.github.chunkkv.examples.KvReport;
import io.github.chunkkv.examples.Progress;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./chunkkv chat}: an interactive multi-turn chat on a ChunkKV-compressed cache. Each line on stdin is a user
 * turn; the whole conversation is sent every turn, as any LangChain4j chat memory does, and the chat model continues
 * the conversation's compressed cache instead of reading it again: the per-turn line shows how many prompt tokens
 * were reused. {@code /stats} sums the conversation up, {@code /exit} (or end of input) ends it.
 */
public final class ChatCli {
    static final ChunkKvConfig DEFAULT_POLICY = ChunkKvConfig.chunkKv(0.1);
    static final int DEFAULT_MAX_TOKENS = 64;

    private static final String USAGE = """
            Usage: ./chunkkv chat [--model DIR] [--policy SPEC] [--max-tokens N] [--context FILE]

            Multi-turn chat with a Jlama model whose KV cache is compressed after every prompt.
              --model DIR      Jlama model folder (default: the embedded needle-lm, models/needle-lm)
              --policy SPEC    KV policy (default: chunkkv:keep=0.1), e.g. full, snapkv:budget=128
              --max-tokens N   reply length limit in tokens (default: 64)
              --context FILE   a text the conversation is about: sent, as one paragraph, before the first message
              --help           this text
            Type a message and Enter. Commands: /stats (conversation totals), /exit.
            The embedded model answers questions about a text given first, in the form "Question: What is ...?", e.g.
              ./chunkkv chat --context examples/src/main/resources/demo-docs/gospel-excerpt-3.txt
              > Question: What is the secret word for duzaz?
            A typed \\n is a line break. After compression, follow-up questions are answered from what the cache kept.
            Exit codes: 0 done, 2 bad options, 3 model missing.""";

    private final ChunkKvJlamaChatModel model;
    private final PrintStream out;
    /** Text sent before the first message, e.g. a document to ask about; empty when none. */
    private final String context;
    private final List<ChatMessage> history = new ArrayList<>();
    private int turns;
    private int promptTokens;
    private int reusedTokens;
    private ChunkKvChatResponseMetadata last;

    private ChatCli(ChunkKvJlamaChatModel model, PrintStream out, String context) {
        this.model = model;
        this.out = out;
        this.context = context;
    }

    public static void main(String[] args) {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.exit(run(args, in, System.out, System.err));
    }

    /** Chats over the lines of {@code in} until {@code /exit} or its end; returns the process exit code. */
    public static int run(String[] args, BufferedReader in, PrintStream out, PrintStream err) {
        CommandLine cl;
        ChunkKvConfig policy;
        int maxTokens;
        String context;
        try {
            cl = CommandLine.parse(args, List.of("--model", "--policy", "--max-tokens", "--context"), List.of());
            policy = cl.policy("--policy", DEFAULT_POLICY);
            maxTokens = cl.positiveInt("--max-tokens", DEFAULT_MAX_TOKENS);
            context = cl.path("--context").map(ChatCli::readContext).orElse("");
        } catch (UsageException e) {
            err.println("chunkkv chat: " + e.getMessage());
            err.println("Try './chunkkv chat --help'.");
            return CommandLine.EXIT_USAGE;
        }
        if (cl.help()) {
            out.println(USAGE);
            return CommandLine.EXIT_OK;
        }
        try (Progress progress = new Progress(err)) {
            Path modelDir = EmbeddedModel.resolve(cl.path("--model"));
            ChunkKvJlamaChatModel model = progress.during("loading model " + modelDir, () -> ChunkKvJlamaChatModel.builder()
                    .modelPath(modelDir)
                    .kvCompression(policy)
                    .maxOutputTokens(maxTokens)
                    .build());
            try (model) {
                out.println("Chatting with " + modelDir.getFileName() + ", KV policy " + policy.toSpec() + ". /stats, /exit");
                new ChatCli(model, out, context).loop(in, progress);
            }
            return CommandLine.EXIT_OK;
        } catch (MissingModelException e) {
            err.println("chunkkv chat: " + e.getMessage());
            return CommandLine.EXIT_NO_MODEL;
        }
    }

    private void loop(BufferedReader in, Progress progress) {
        while (true) {
            out.print("> ");
            out.flush();
            String line = readLine(in);
            if (line == null || line.strip().equals("/exit")) break;
            if (line.isBlank()) continue;
            if (line.strip().equals("/stats")) {
                out.println(stats());
                continue;
            }
            // A typed "\n" stands for a line break, so that a context and its question fit on one input line.
            String message = line.replace("\\n", "\n");
            history.add(UserMessage.from(history.isEmpty() && !context.isEmpty() ? context + "\n" + message : message));
            ChatResponse response;
            try {
                response = progress.during("thinking", () -> model.chat(ChatRequest.builder().messages(history).build()));
            } catch (InvalidRequestException e) {
                // E.g. the conversation outgrew the model's context: say so and let the user go on without that turn.
                history.removeLast();
                out.println("  [not sent: " + e.getMessage() + "]");
                continue;
            }
            // Stored without the leading space the model emits: the chat template adds its own separator.
            history.add(AiMessage.from(response.aiMessage().text().strip()));
            record(KvReport.metadata(response));
            out.println(response.aiMessage().text().strip());
            out.println("  [" + KvReport.line(response) + "]");
        }
    }

    private void record(ChunkKvChatResponseMetadata kv) {
        turns++;
        promptTokens += kv.promptTokens() - kv.reusedTokens();
        reusedTokens += kv.reusedTokens();
        last = kv;
    }

    private String stats() {
        if (last == null) return "no turns yet";
        return String.format("%d turns; prefilled %d prompt tokens, reused %d from the cache; conversation %d tokens, cache %s",
                turns, promptTokens, reusedTokens, last.promptTokens() + last.tokenUsage().outputTokenCount(), KvReport.bytes(last.kvBytesAfter()));
    }

    /** The file's text as one paragraph (single spaces), the way the embedded model reads context. */
    private static String readContext(Path file) {
        try {
            return Files.readString(file).replaceAll("\\s+", " ").strip();
        } catch (IOException e) {
            throw new UsageException("--context: cannot read " + file + ": " + e.getMessage());
        }
    }

    private static String readLine(BufferedReader in) {
        try {
            return in.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin", e);
        }
    }
}
