package io.github.chunkkv.examples.agent;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.service.AiServices;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.examples.OptionValues;
import io.github.chunkkv.examples.Progress;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.needle.NeedleFormat.Fact;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A LangChain4j agent on a compressed KV cache: an {@link AiServices} assistant with a lookup tool ({@link FactTools})
 * and a chat memory answers six questions about long documents ({@link AgentTask}); half of the facts are only in the
 * tool's table. Every step re-sends the growing history (documents, questions, tool calls and results, answers); the
 * chat model continues the conversation's compressed cache and prints per step what the cache did
 * ({@link AgentRun}). It runs once with the full cache and once with {@code --policy} (default ChunkKV keep 0.1 with
 * recall), each ending with one line {@code agent policy=SPEC steps=S tool_calls=T correct=K total=N kv_bytes=B
 * kv_bytes_full=F}.
 *
 * <p>By default the model is the repository's own tool-calling model, {@code models/agent-lm} (offline); {@code
 * --model DIR} runs any Jlama instruct model whose chat template supports tools, e.g. {@code
 * tjake/Qwen2.5-0.5B-Instruct-JQ4}.
 */
@Command(name = "agent",
        description = {"A LangChain4j AiServices agent with a lookup tool and chat memory over long documents, run with the"
                + " full KV cache and with a compressed one; prints per-step KV statistics and one summary line per run.", ""})
public final class AgentExample implements Callable<Integer> {
    static final Path RELATIVE_DIR = Path.of("models", "agent-lm");
    static final ChunkKvConfig DEFAULT_POLICY = ChunkKvConfig.parse("chunkkv:keep=0.1,recall=ram");
    static final int DEFAULT_MAX_TOKENS = 32;

    private final PrintStream out;
    private final PrintStream err;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR",
            description = "a Jlama model folder whose chat template supports tools (default: the embedded models/agent-lm)")
    Path modelDir;

    private ChunkKvConfig policy = DEFAULT_POLICY;
    private int maxTokens = DEFAULT_MAX_TOKENS;

    AgentExample(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Option(names = "--policy", paramLabel = "SPEC", description = "KV policy compared with the full cache (default: chunkkv:keep=0.1,recall=ram)")
    void policy(String value) {
        policy = OptionValues.policy(spec, "--policy", value);
    }

    @Option(names = "--max-tokens", paramLabel = "N", description = "reply length limit in tokens (default: 32)")
    void maxTokens(String value) {
        maxTokens = OptionValues.positiveInt(spec, "--max-tokens", value);
    }

    /** What the assistant can be asked; AiServices implements it. */
    public interface Assistant {
        String chat(String message);
    }

    /** The agent: {@code chatModel} with {@code tools} and a memory large enough for the whole conversation. */
    public static Assistant assistant(ChatModel chatModel, Object tools) {
        return AiServices.builder(Assistant.class).chatModel(chatModel).tools(tools)
                .chatMemory(MessageWindowChatMemory.withMaxMessages(40)).build();
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the conversation with the full cache and with the policy; returns the process exit code ({@link ExitCodes}). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return ExitCodes.execute(new AgentExample(out, err), args, out, err);
    }

    @Override
    public Integer call() {
        Path dir = EmbeddedModel.resolve(Optional.ofNullable(modelDir), RELATIVE_DIR);
        AgentTask task = AgentTask.create(dir);
        out.println("Agent on " + dir.getFileName() + ": " + task.questions().size() + " questions about "
                + AgentTask.DOCUMENTS.size() + " documents; the lookup tool knows " + keys(task.table()));
        for (ChunkKvConfig p : List.of(ChunkKvConfig.full(), policy)) {
            out.println();
            out.println("KV policy " + p.toSpec());
            AgentRun run = new AgentRun(p, out);
            try (Progress progress = new Progress(err);
                    ChunkKvJlamaChatModel chatModel = progress.during("loading model " + dir, () -> ChunkKvJlamaChatModel.builder()
                            .modelPath(dir)
                            .kvCompression(p)
                            .maxOutputTokens(maxTokens)
                            .listeners(List.of(run.stepReporter()))
                            .build())) {
                out.println(run.converse(chatModel, task, progress).summaryLine());
            }
        }
        return ExitCodes.OK;
    }

    private static String keys(List<Fact> facts) {
        return String.join(", ", facts.stream().map(Fact::key).toList());
    }
}
