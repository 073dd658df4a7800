package io.github.chunkkv.examples.chat;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.examples.KvReport;
import io.github.chunkkv.examples.Progress;
import io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One chat over lines of input. The whole conversation is sent every turn, as any LangChain4j chat memory does, and
 * the chat model continues the conversation's compressed cache instead of reading it again: the per-turn line shows
 * how many prompt tokens were reused.
 */
final class Conversation {
    private final ChunkKvJlamaChatModel model;
    private final PrintStream out;
    /** Text sent before the first message, e.g. a document to ask about; empty when none. */
    private final String context;
    private final List<ChatMessage> history = new ArrayList<>();
    private int turns;
    private int promptTokens;
    private int reusedTokens;
    private ChunkKvChatResponseMetadata last;

    Conversation(ChunkKvJlamaChatModel model, PrintStream out, String context) {
        this.model = model;
        this.out = out;
        this.context = context;
    }

    /** Reads turns from {@code in} until {@code /exit} or its end. */
    void run(BufferedReader in, Progress progress) {
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

    private static String readLine(BufferedReader in) {
        try {
            return in.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin", e);
        }
    }
}
