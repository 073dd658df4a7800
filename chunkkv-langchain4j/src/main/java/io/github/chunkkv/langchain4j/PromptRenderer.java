package io.github.chunkkv.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import com.github.tjake.jlama.safetensors.prompt.Tool;
import com.github.tjake.jlama.safetensors.prompt.ToolCall;
import com.github.tjake.jlama.safetensors.prompt.ToolResult;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Renders LangChain4j chat messages into the model's prompt text. Models whose tokenizer_config.json has a chat
 * template are rendered through Jlama's {@link PromptSupport} (tools included when the template knows them). Models
 * without a template get a plain transcript: one {@code "role: content\n"} line per message (roles system, user,
 * assistant, tool) followed by {@code "assistant:"} when a reply is wanted.
 */
final class PromptRenderer {
    static final String FALLBACK_GENERATION_PROMPT = "assistant:";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROBE_CONTENT = "\u2063chunkkv-probe\u2063";

    private final Optional<PromptSupport> promptSupport;
    private final boolean toolSupport;
    private String assistantContentSeparator; // probed on first use; racing threads compute the same value

    PromptRenderer(Optional<PromptSupport> promptSupport, boolean toolSupport) {
        this.promptSupport = promptSupport;
        this.toolSupport = toolSupport;
    }

    /**
     * The whitespace that the rendered history has between the generation cue and an assistant message's content
     * ({@code " "} for a cue {@code "assistant:"} and a history {@code "assistant: " + content}), found by rendering
     * one exchange both ways; empty when there is none or the two renderings do not line up.
     */
    String assistantContentSeparator() {
        if (assistantContentSeparator == null) assistantContentSeparator = probeAssistantContentSeparator();
        return assistantContentSeparator;
    }

    private String probeAssistantContentSeparator() {
        UserMessage question = UserMessage.from("?");
        String cue = render(List.of(question), List.of(), true).getPrompt();
        String history = render(List.of(question, AiMessage.from(PROBE_CONTENT)), List.of(), false).getPrompt();
        int content = history.indexOf(PROBE_CONTENT);
        if (!history.startsWith(cue) || content < cue.length()) return "";
        String separator = history.substring(cue.length(), content);
        return separator.isBlank() ? separator : "";
    }

    boolean supportsTools() {
        return promptSupport.isPresent() && toolSupport;
    }

    /**
     * Refuses what this renderer cannot put into a prompt, before any work: no messages
     * ({@link InvalidRequestException}), tools without a tool-aware chat template, non-text user content or unknown
     * message types ({@link UnsupportedFeatureException}).
     */
    void requireRenderable(List<ChatMessage> messages, List<ToolSpecification> tools) {
        if (messages == null || messages.isEmpty()) throw new InvalidRequestException("messages must not be empty");
        if (!tools.isEmpty() && !supportsTools()) {
            throw new UnsupportedFeatureException("tools are not supported by this model: its chat template has no tool support "
                    + "(tokenizer_config.json chat_template must mention 'tools')");
        }
        for (ChatMessage m : messages) {
            if (m instanceof UserMessage u) userText(u);
            else if (!(m instanceof SystemMessage || m instanceof AiMessage || m instanceof ToolExecutionResultMessage)) throw unsupportedMessage(m);
        }
    }

    /** The prompt for {@code messages}; {@code generationPrompt} appends the cue for the assistant's reply. */
    PromptContext render(List<ChatMessage> messages, List<ToolSpecification> tools, boolean generationPrompt) {
        requireRenderable(messages, tools);
        return promptSupport.isPresent()
                ? renderTemplate(promptSupport.get(), messages, tools, generationPrompt)
                : PromptContext.of(renderPlain(messages, generationPrompt));
    }

    private static PromptContext renderTemplate(PromptSupport support, List<ChatMessage> messages, List<ToolSpecification> tools,
            boolean generationPrompt) {
        PromptSupport.Builder b = support.builder().addGenerationPrompt(generationPrompt);
        for (ChatMessage m : messages) {
            switch (m) {
                case SystemMessage s -> b.addSystemMessage(s.text());
                case UserMessage u -> b.addUserMessage(userText(u));
                case AiMessage a -> {
                    if (a.text() != null && !a.text().isEmpty() || !a.hasToolExecutionRequests()) b.addAssistantMessage(nullToEmpty(a.text()));
                    if (a.hasToolExecutionRequests()) {
                        for (ToolExecutionRequest r : a.toolExecutionRequests()) b.addToolCall(new ToolCall(r.name(), r.id(), arguments(r)));
                    }
                }
                case ToolExecutionResultMessage t -> b.addToolResult(ToolResult.from(t.toolName(), t.id(), t.text()));
                default -> throw unsupportedMessage(m);
            }
        }
        if (tools.isEmpty()) return b.build();
        List<Tool> jlamaTools = tools.stream().map(ToolMapping::toJlamaTool).toList();
        return b.build(jlamaTools);
    }

    static String renderPlain(List<ChatMessage> messages, boolean generationPrompt) {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m) {
                case SystemMessage s -> line(sb, "system", s.text());
                case UserMessage u -> line(sb, "user", userText(u));
                case AiMessage a -> {
                    if (a.hasToolExecutionRequests()) {
                        throw new UnsupportedFeatureException("tool calls in the history need a model whose chat template supports tools");
                    }
                    line(sb, "assistant", nullToEmpty(a.text()));
                }
                case ToolExecutionResultMessage t -> line(sb, "tool", t.text());
                default -> throw unsupportedMessage(m);
            }
        }
        if (generationPrompt) sb.append(FALLBACK_GENERATION_PROMPT);
        return sb.toString();
    }

    private static void line(StringBuilder sb, String role, String content) {
        sb.append(role).append(": ").append(content).append('\n');
    }

    private static String userText(UserMessage u) {
        if (!u.hasSingleText()) {
            throw new UnsupportedFeatureException("images, audio, video and PDF are not supported by the Jlama chat models: "
                    + "a user message must be a single text, got " + u.contents());
        }
        return u.singleText();
    }

    private static UnsupportedFeatureException unsupportedMessage(ChatMessage m) {
        return new UnsupportedFeatureException("message type " + m.type() + " is not supported by the Jlama chat models");
    }

    private static Map<String, Object> arguments(ToolExecutionRequest r) {
        if (r.arguments() == null || r.arguments().isBlank()) return Map.of();
        try {
            return JSON.readValue(r.arguments(), new TypeReference<Map<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException("tool execution request '" + r.name() + "' has arguments that are not a JSON object: " + r.arguments(), e);
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
