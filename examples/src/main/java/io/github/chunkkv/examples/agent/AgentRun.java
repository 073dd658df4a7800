package io.github.chunkkv.examples.agent;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.examples.KvReport;
import io.github.chunkkv.examples.Progress;
import io.github.chunkkv.jlama.RecallStats;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import io.github.chunkkv.needle.NeedleFormat.Fact;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * One run of the agent's conversation under one KV policy. Every model call (a step: an answer or a tool call) prints
 * what the cache did; the run ends with the line {@code agent policy=SPEC steps=S tool_calls=T correct=K total=N
 * kv_bytes=B kv_bytes_full=F}: an answer is correct when it contains the fact's value; {@code kv_bytes} is the hot
 * cache (what decoding reads) after the last step and {@code kv_bytes_full} the cache before that step's compression
 * (the whole conversation uncompressed for the full cache and for policies with recall, which recall every cold row
 * before re-selecting).
 */
final class AgentRun {
    private final ChunkKvConfig policy;
    private final PrintStream out;
    private final List<ChunkKvChatResponseMetadata> steps = new CopyOnWriteArrayList<>();
    private int toolCalls;
    private int correct;
    private int total;

    AgentRun(ChunkKvConfig policy, PrintStream out) {
        this.policy = policy;
        this.out = out;
    }

    /** Records and prints every model call; give it to the chat model's builder. */
    ChatModelListener stepReporter() {
        return new ChatModelListener() {
            @Override
            public void onResponse(ChatModelResponseContext context) {
                steps.add(KvReport.metadata(context.chatResponse()));
                out.printf("    step %d: %s%n", steps.size(), stepLine(context.chatResponse()));
            }
        };
    }

    /** Asks the task's questions in one conversation on {@code chatModel}, printing each answer. */
    AgentRun converse(ChatModel chatModel, AgentTask task, Progress progress) {
        FactTools tools = new FactTools(task.table());
        AgentExample.Assistant assistant = AgentExample.assistant(chatModel, tools);
        for (int i = 0; i < task.questions().size(); i++) {
            Fact fact = task.questions().get(i);
            String message = task.message(i);
            out.println("user: " + fact.question());
            int before = tools.calls().size();
            String reply = progress.during("thinking", () -> assistant.chat(message)).strip();
            List<String> used = tools.calls().subList(before, tools.calls().size());
            boolean right = reply.contains(fact.value());
            total++;
            if (right) correct++;
            out.println("assistant: " + reply + (used.isEmpty() ? "" : "   (tools: " + String.join(", ", used) + ")")
                    + (right ? "" : "   [expected " + fact.value() + "]"));
        }
        toolCalls = tools.calls().size();
        return this;
    }

    String summaryLine() {
        ChunkKvChatResponseMetadata last = steps.isEmpty() ? null : steps.get(steps.size() - 1);
        return String.format(Locale.ROOT, "agent policy=%s steps=%d tool_calls=%d correct=%d total=%d kv_bytes=%d kv_bytes_full=%d",
                policy.toSpec(), steps.size(), toolCalls, correct, total, last == null ? 0 : last.kvBytesAfter(),
                last == null ? 0 : last.kvBytesBefore());
    }

    /** {@link KvReport#line}, the two tiers when the policy recalls, and the tool calls the step asked for. */
    static String stepLine(ChatResponse response) {
        StringBuilder line = new StringBuilder(KvReport.line(response));
        RecallStats recall = KvReport.metadata(response).recall();
        if (recall != null) {
            line.append(String.format(Locale.ROOT, " | hot %d rows, cold %d rows (%s), re-selected in %.1f ms: promoted %d, demoted %d",
                    recall.hotRows(), recall.coldRows(), KvReport.bytes(recall.coldRamBytes() + recall.coldDiskBytes()),
                    recall.reselectNanos() / 1e6, recall.promoted(), recall.demoted()));
        }
        List<ToolExecutionRequest> calls = response.aiMessage().toolExecutionRequests();
        if (!calls.isEmpty()) {
            line.append(" | calls ").append(calls.stream().map(c -> c.name() + c.arguments()).collect(Collectors.joining(", ")));
        }
        return line.toString();
    }
}
