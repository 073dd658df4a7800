package io.github.chunkkv.examples.readme;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import java.nio.file.Path;

/**
 * README.md's LangChain4j snippet: the lines between the snippet markers appear there verbatim, and
 * {@code ReadmeSnippetsTest} runs them and checks the README, so the documentation cannot drift from the API.
 */
public final class ReadmeLangChain4jSnippet {
    private ReadmeLangChain4jSnippet() {}

    /** Prints the answer to {@code question} about {@code document} and what the compressed cache did. */
    public static void run(Path modelDir, String document, String question) {
        // snippet:start
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder()
                .modelPath(modelDir)
                .kvCompression(0.1)  // ChunkKV: keep 10% of the prompt's KV cache
                .maxOutputTokens(16)
                .build()) {
            ChatResponse response = model.chat(ChatRequest.builder()
                    .messages(UserMessage.from(document + "\nQuestion: " + question))
                    .build());
            System.out.println(response.aiMessage().text());
            System.out.println(response.metadata());  // kept tokens, KV bytes before/after, timings
        }
        // snippet:end
    }
}
