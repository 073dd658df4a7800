package io.github.chunkkv.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.examples.TestModels;
import io.github.chunkkv.examples.TestModels.Console;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's wiring. A random tiny model cannot decide to call a tool, so this checks the construction (AiServices,
 * tool specifications rendered into the prompt, chat memory) and the reuse of the cache across turns; tool calling
 * itself needs the instruct model the example names.
 */
class AgentExampleTest {
    @Test
    void withoutAModelItSaysWhichOneToDownloadAndHow(@TempDir Path empty) {
        Console console = new Console();
        assertEquals(ExitCodes.MISSING_MODEL, AgentExample.run(new String[] {"--model", empty.toString()}, console.out, console.err));
        String help = console.err();
        assertTrue(help.contains("No tool-capable model at " + empty), help);
        assertTrue(help.contains("SafeTensorSupport.maybeDownloadModel(System.getProperty(\"user.home\") + \"/.jlama/models\", \"tjake/Qwen2.5-0.5B-Instruct-JQ4\")"), help);
        assertTrue(help.contains(AgentExample.DEFAULT_DIR.toString()), help);
    }

    @Test
    void aiServicesAssistantWithToolsAndMemoryContinuesTheCompressedCache(@TempDir Path dir) throws IOException {
        Console console = new Console();
        List<List<String>> offered = new ArrayList<>();
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder()
                .modelPath(tinyModelWithToolTemplate(dir))
                .kvCompression("chunkkv:keep=0.5,window=8,chunk=4")
                .maxOutputTokens(3)
                .listeners(List.of(AgentExample.cacheReporter(console.out), toolNames(offered)))
                .build()) {
            AgentExample.Assistant assistant = AgentExample.assistant(model, new ShopTools());
            assertNotNull(assistant.chat("How many lamps are in stock?"));
            assertNotNull(assistant.chat("And chairs?"));
        }
        assertEquals(List.of(List.of("unitPrice", "unitsInStock"), List.of("unitPrice", "unitsInStock")), offered, "tools offered per call");
        String out = console.out();
        assertEquals(2, out.lines().filter(l -> l.contains("model call: prompt")).count(), out);
        assertTrue(out.lines().skip(1).findFirst().orElseThrow().endsWith("<- continued the compressed cache"), out);
    }

    @Test
    void toolsAnswerFromTheInventoryAndNameWhatTheShopSells() {
        ShopTools tools = new ShopTools();
        assertEquals(12, tools.unitsInStock("Lamps"));
        assertEquals(79.0, tools.unitPrice("chair"));
        assertEquals(List.of("unitsInStock(Lamps)", "unitPrice(chair)"), tools.calls());
        var e = assertThrows(IllegalArgumentException.class, () -> tools.unitPrice("sofa"));
        assertTrue(e.getMessage().startsWith("unknown product 'sofa'; the shop sells"), e.getMessage());
    }

    /** Records the (sorted) names of the tools each model request offers. */
    private static ChatModelListener toolNames(List<List<String>> offered) {
        return new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext context) {
                offered.add(context.chatRequest().toolSpecifications().stream().map(ToolSpecification::name).sorted().toList());
            }
        };
    }

    /** A tiny model whose chat template mentions tools, which is how Jlama decides that a model supports them. */
    private static Path tinyModelWithToolTemplate(Path dir) throws IOException {
        TestModels.tinyLlama(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": "<s>", "eos_token": "</s>", "chat_template":
                 "{% if tools %}{% for t in tools %}{{ 'tool ' + t.function.name + '\\\\n' }}{% endfor %}{% endif %}{% for m in messages %}{{ m['role'] + ': ' + (m['content'] or '') + '\\\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}"}
                """);
        return dir;
    }
}
