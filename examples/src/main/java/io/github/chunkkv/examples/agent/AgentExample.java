package io.github.chunkkv.examples.agent;

import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.examples.CommandLine;
import io.github.chunkkv.examples.CommandLine.UsageException;
import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.examples.KvReport;
import io.github.chunkkv.examples.Progress;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * A LangChain4j agent on a compressed KV cache: an {@link AiServices} assistant with tools ({@link ShopTools}) and a
 * chat memory, running a multi-turn conversation on {@link ChunkKvJlamaChatModel}. The memory re-sends the whole
 * conversation (system message, tool specifications, earlier turns and tool results) with every model call; the chat
 * model recognises the prefix it has already read and continues that conversation's compressed cache, which the
 * per-call lines show as reused tokens.
 *
 * <p>Tools need an instruct model whose chat template knows them, e.g. {@value #MODEL} in Jlama's format
 * ({@code --model DIR}, default: where Jlama downloads it). Without one, the example says how to get it and exits
 * with {@link CommandLine#EXIT_NO_MODEL}.
 */
public final class AgentExample {
    static final String MODEL = "tjake/Qwen2.5-0.5B-Instruct-JQ4";
    /** Jlama's download location for {@link #MODEL}: {@code ~/.jlama/models/tjake_Qwen2.5-0.5B-Instruct-JQ4}. */
    static final Path DEFAULT_DIR = Path.of(System.getProperty("user.home"), ".jlama", "models", MODEL.replace('/', '_'));
    /** Keeps half of each prompt: tool specifications are dense, and a small model needs most of them. */
    static final ChunkKvConfig DEFAULT_POLICY = ChunkKvConfig.chunkKv(0.5);
    static final List<String> CONVERSATION = List.of(
            "How many lamps are in stock?",
            "And what does one lamp cost?",
            "Is the desk in stock?");

    private static final String USAGE = """
            Usage: AgentExample [--model DIR] [--policy SPEC] [--max-tokens N]
              --model DIR      a tool-capable Jlama instruct model (default: %s)
              --policy SPEC    KV policy (default: %s)
              --max-tokens N   reply length limit in tokens (default: 256)
            Exit codes: 0 done, 2 bad options, 3 model missing.""".formatted(DEFAULT_DIR, DEFAULT_POLICY.toSpec());

    /** What the assistant can be asked; AiServices implements it. */
    public interface Assistant {
        @SystemMessage("You are a shop assistant. Use the tools to look up stock and prices. Answer in one short sentence.")
        String chat(String message);
    }

    private AgentExample() {}

    /** The agent: {@code chatModel} with {@code tools} and a memory of the last 20 messages. */
    public static Assistant assistant(ChatModel chatModel, Object tools) {
        ChatMemory memory = MessageWindowChatMemory.withMaxMessages(20);
        return AiServices.builder(Assistant.class).chatModel(chatModel).tools(tools).chatMemory(memory).build();
    }

    /** Prints, for every model call the agent makes, how much of its prompt came from the compressed cache. */
    public static ChatModelListener cacheReporter(PrintStream out) {
        return new ChatModelListener() {
            @Override
            public void onResponse(ChatModelResponseContext context) {
                ChunkKvChatResponseMetadata kv = KvReport.metadata(context.chatResponse());
                out.printf("    model call: %s%s%n", KvReport.line(context.chatResponse()),
                        kv.reusedTokens() > 0 ? "  <- continued the compressed cache" : "");
            }
        };
    }

    /** The message printed when no model folder is there: which model, and two ways to download it. */
    static String downloadHelp(Path dir) {
        return """
                No tool-capable model at %1$s.
                This example needs an instruct model whose chat template supports tools, e.g. %2$s (about 0.4 GB).
                Download it once (needs internet), from the repository root after ./chunkkv build, with Jlama's downloader:
                  echo 'com.github.tjake.jlama.safetensors.SafeTensorSupport.maybeDownloadModel(System.getProperty("user.home") + "/.jlama/models", "%2$s")' \\
                    | jshell --class-path "$(cat examples/target/classpath.txt)" -
                It lands in %3$s, the default --model: then run this example again.
                With the Jlama CLI instead: jlama download %2$s, then pass the folder it reports with --model DIR.
                tjake/Llama-3.2-1B-Instruct-JQ4 works the same way.""".formatted(dir, MODEL, DEFAULT_DIR);
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the scripted conversation; returns the process exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl;
        ChunkKvConfig policy;
        int maxTokens;
        try {
            cl = CommandLine.parse(args, List.of("--model", "--policy", "--max-tokens"), List.of());
            policy = cl.policy("--policy", DEFAULT_POLICY);
            maxTokens = cl.positiveInt("--max-tokens", 256);
        } catch (UsageException e) {
            err.println("AgentExample: " + e.getMessage());
            err.println(USAGE);
            return CommandLine.EXIT_USAGE;
        }
        if (cl.help()) {
            out.println(USAGE);
            return CommandLine.EXIT_OK;
        }
        Path dir = cl.path("--model").orElse(DEFAULT_DIR);
        if (!EmbeddedModel.isModelDir(dir)) {
            err.println(downloadHelp(dir));
            return CommandLine.EXIT_NO_MODEL;
        }
        try (Progress progress = new Progress(err);
                ChunkKvJlamaChatModel chatModel = progress.during("loading model " + dir, () -> ChunkKvJlamaChatModel.builder()
                        .modelPath(dir)
                        .kvCompression(policy)
                        .maxOutputTokens(maxTokens)
                        .listeners(List.of(cacheReporter(out)))
                        .build())) {
            ShopTools tools = new ShopTools();
            Assistant assistant = assistant(chatModel, tools);
            out.println("Agent on " + dir.getFileName() + " with KV policy " + policy.toSpec());
            for (String message : CONVERSATION) {
                out.println("user: " + message);
                int before = tools.calls().size();
                String reply = progress.during("thinking", () -> assistant.chat(message));
                List<String> used = tools.calls().subList(before, tools.calls().size());
                out.println("assistant: " + reply.strip() + (used.isEmpty() ? "" : "   (tools: " + String.join(", ", used) + ")"));
            }
            return CommandLine.EXIT_OK;
        }
    }
}
