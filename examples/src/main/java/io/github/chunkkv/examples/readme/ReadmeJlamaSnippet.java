package io.github.chunkkv.examples.readme;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import java.nio.file.Path;
import java.util.UUID;

/**
 * README.md's plain-Jlama snippet: the lines between the snippet markers appear there verbatim, and
 * {@code ReadmeSnippetsTest} runs them and checks the README, so the documentation cannot drift from the API.
 */
public final class ReadmeJlamaSnippet {
    private ReadmeJlamaSnippet() {}

    /** Prints the answer to {@code question} about {@code document}, read by the model in {@code modelDir}. */
    public static void run(Path modelDir, String document, String question) {
        // snippet:start
        try (AbstractModel jlama = ChunkKvJlama.loadJlamaModel(modelDir);
                ChunkKvModel model = ChunkKvJlama.wrap(jlama, ChunkKvConfig.parse("chunkkv:keep=0.1"))) {
            PromptContext prompt = jlama.promptSupport().orElseThrow().builder()
                    .addUserMessage(document + "\nQuestion: " + question)
                    .build();
            UUID session = model.openSession().id();  // sessions keep their compressed cache across turns
            Generator.Response response = model.generate(session, prompt, 0.0f, 16, (token, millis) -> {});
            System.out.println(response.responseText);
        }
        // snippet:end
    }
}
