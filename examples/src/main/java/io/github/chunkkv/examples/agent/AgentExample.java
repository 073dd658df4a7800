package io.github.chunkkv.examples.agent;

import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.cli.MissingModelException;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.examples.KvReport;
import io.github.chunkkv.examples.OptionValues;
import io.github.chunkkv.examples.Progress;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A LangChain4j agent on a compressed KV cache: an {@link AiServices} assistant with tools ({@link ShopTools}) and a
 * chat memory, running a multi-turn conversation on {@link ChunkKvJlamaChatModel}. The memory re-sends the whole
 * conversation (system message, tool specifications, earlier turns and tool results) with every model call; the chat
 * model recognises the prefix it has already read and continues that conversation's compressed cache, which the
 * per-call lines show as reused tokens.
 *
 * <p>Tools need an instruct model whose chat template knows them, e.g. {@value #MODEL} in Jlama's format
 * ({@code --model DIR}, default: where Jlama downloads it). Without one, the example says how to get it and exits
 * with {@link ExitCodes#MISSING_MODEL}.
 */
@Command(name = "agent",
        description = {"A LangChain4j AiServices agent with tools and chat memory on a ChunkKV-compressed cache.", ""})
public final class AgentExample implements Callable<Integer> {
    static final String MODEL = "tjake/Qwen2.5-0.5B-Instruct-JQ4";
    /** Jlama's download location for {@link #MODEL}: {@code ~/.jlama/models/tjake_Qwen2.5-0.5B-Instruct-JQ4}. */
    static final Path DEFAULT_DIR = Path.of(System.getProperty("user.home"), ".jlama", "models", MODEL.replace('/', '_'));
    /** Keeps half of each prompt: tool specifications are dense, and a small model needs most of them. */
    static final ChunkKvConfig DEFAULT_POLICY = ChunkKvConfig.chunkKv(0.5);
    static final int DEFAULT_MAX_TOKENS = 256;
    static final List<String> CONVERSATION = List.of(
            "How many lamps are in stock?",
            "And what does one lamp cost?",
            "Is the desk in stock?");

    private final PrintStream out;
    private final PrintStream err;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "a tool-capable Jlama instruct model (default: ${DEFAULT-VALUE})")
    Path modelDir = DEFAULT_DIR;

    private ChunkKvConfig policy = DEFAULT_POLICY;
    private int maxTokens = DEFAULT_MAX_TOKENS;

    AgentExample(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Option(names = "--policy", paramLabel = "SPEC", description = "KV policy (default: chunkkv:keep=0.5)")
    void policy(String value) {
        policy = OptionValues.policy(spec, "--policy", value);
    }

    @Option(names = "--max-tokens", paramLabel = "N", description = "reply length limit in tokens (default: 256)")
    void maxTokens(String value) {
        maxTokens = OptionValues.positiveInt(spec, "--max-tokens", value);
    }

    /** What the assistant can be asked; AiServices implements it. */
    public interface Assistant {
        @SystemMessage("You are a shop assistant. Use the tools to look up stock and prices. Answer in one short sentence.")
        String chat(String message);
    }

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

    /** Runs the scripted conversation; returns the process exit code ({@link ExitCodes}). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return ExitCodes.execute(new AgentExample(out, err), args, out, err);
    }

    @Override
    public Integer call() {
        if (!EmbeddedModel.isModelDir(modelDir)) throw new MissingModelException(downloadHelp(modelDir));
        try (Progress progress = new Progress(err);
                ChunkKvJlamaChatModel chatModel = progress.during("loading model " + modelDir, () -> ChunkKvJlamaChatModel.builder()
                        .modelPath(modelDir)
                        .kvCompression(policy)
                        .maxOutputTokens(maxTokens)
                        .listeners(List.of(cacheReporter(out)))
                        .build())) {
            ShopTools tools = new ShopTools();
            Assistant assistant = assistant(chatModel, tools);
            out.println("Agent on " + modelDir.getFileName() + " with KV policy " + policy.toSpec());
            for (String message : CONVERSATION) {
                out.println("user: " + message);
                int before = tools.calls().size();
                String reply = progress.during("thinking", () -> assistant.chat(message));
                List<String> used = tools.calls().subList(before, tools.calls().size());
                out.println("assistant: " + reply.strip() + (used.isEmpty() ? "" : "   (tools: " + String.join(", ", used) + ")"));
            }
            return ExitCodes.OK;
        }
    }
}
