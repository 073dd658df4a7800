package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.RETURNS_SELF;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import com.github.tjake.jlama.safetensors.prompt.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/** Message → prompt mapping: Jlama's PromptSupport is mocked, so only the mapping is under test. */
class PromptRendererTest {
    private final PromptSupport support = mock(PromptSupport.class);
    private final PromptSupport.Builder builder = mock(PromptSupport.Builder.class, RETURNS_SELF);
    private final PromptContext rendered = PromptContext.of("rendered");

    PromptRendererTest() {
        when(support.builder()).thenReturn(builder);
        when(builder.build()).thenReturn(rendered);
        when(builder.build(anyList())).thenReturn(rendered);
    }

    @Test
    void everyMessageTypeMapsToItsPromptSupportCall() {
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("7").name("weather").arguments("{\"city\":\"Oslo\"}").build();
        List<ChatMessage> messages = List.of(SystemMessage.from("sys"), UserMessage.from("hi"), AiMessage.from("hello"),
                AiMessage.from(call), ToolExecutionResultMessage.from(call, "sunny"));
        assertSame(rendered, new PromptRenderer(Optional.of(support), true).render(messages, List.of(), true));
        InOrder order = inOrder(builder);
        order.verify(builder).addGenerationPrompt(true);
        order.verify(builder).addSystemMessage("sys");
        order.verify(builder).addUserMessage("hi");
        order.verify(builder).addAssistantMessage("hello");
        order.verify(builder).addToolCall(argThat(c -> c.getName().equals("weather") && c.getId().equals("7")
                && c.getParameters().equals(Map.of("city", "Oslo"))));
        order.verify(builder).addToolResult(argThat(r -> r.getName().equals("weather") && r.getToolCallId().equals("7")
                && r.getResult().equals("sunny")));
        order.verify(builder).build();
    }

    @Test
    void toolSpecificationsBecomeJlamaTools() {
        ToolSpecification spec = ToolSpecification.builder().name("weather").description("current weather")
                .parameters(JsonObjectSchema.builder()
                        .addStringProperty("city", "city name").required("city").build())
                .build();
        new PromptRenderer(Optional.of(support), true).render(List.of(UserMessage.from("hi")), List.of(spec), true);
        verify(builder).build(argThat((List<Tool> tools) -> tools.size() == 1
                && tools.get(0).getFunction().getName().equals("weather")
                && tools.get(0).getFunction().getDescription().equals("current weather")
                && tools.get(0).getFunction().getParameters().toString().contains("city")));
    }

    @Test
    void withoutATemplateMessagesAreRenderedAsRoleLines() {
        PromptRenderer plain = new PromptRenderer(Optional.empty(), false);
        String prompt = plain.render(List.of(SystemMessage.from("be kind"), UserMessage.from("hi"), AiMessage.from("hey"),
                UserMessage.from("bye")), List.of(), true).getPrompt();
        assertEquals("system: be kind\nuser: hi\nassistant: hey\nuser: bye\nassistant:", prompt);
        assertEquals("user: hi\n", plain.render(List.of(UserMessage.from("hi")), List.of(), false).getPrompt());
    }

    @Test
    void unsupportedInputIsRefusedClearly() {
        PromptRenderer renderer = new PromptRenderer(Optional.of(support), false);
        ToolSpecification spec = ToolSpecification.builder().name("weather").build();
        assertThrows(UnsupportedFeatureException.class, () -> renderer.render(List.of(UserMessage.from("hi")), List.of(spec), true));
        UserMessage image = UserMessage.from(TextContent.from("look"), ImageContent.from("https://example.org/a.png"));
        assertThrows(UnsupportedFeatureException.class, () -> renderer.render(List.of(image), List.of(), true));
        assertThrows(InvalidRequestException.class, () -> renderer.render(List.of(), List.of(), true));
        ToolExecutionRequest badArgs = ToolExecutionRequest.builder().id("1").name("weather").arguments("not json").build();
        assertThrows(InvalidRequestException.class, () -> renderer.render(List.of(AiMessage.from(badArgs)), List.of(), true));
        verify(builder, never()).build(anyList());
    }
}
