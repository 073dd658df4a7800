package io.github.chunkkv.examples.readme;

// snippet:start
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import java.nio.file.Path;

// Run with: java --add-modules jdk.incubator.vector ... GettingStarted [model folder]
public class GettingStarted {
    interface Assistant {
        String chat(String message);
    }

    public static void main(String[] args) {
        Path modelDir = Path.of(args.length > 0 ? args[0] : "models/needle-lm");
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder()
                .modelPath(modelDir)
                .kvCompression(0.1)  // ChunkKV: keep 10% of each prompt's KV cache
                .maxTokens(16)
                .build()) {
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(model)
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(10))
                    .build();
            System.out.println(assistant.chat("The secret word for mapaz is: wheels. And they went their way."
                    + "\nQuestion: What is the secret word for mapaz?"));
        }
    }
}
// snippet:end
