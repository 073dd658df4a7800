package io.github.chunkkv.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.safetensors.prompt.Function;
import com.github.tjake.jlama.safetensors.prompt.Tool;
import com.github.tjake.jlama.safetensors.prompt.ToolCall;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import java.util.List;
import java.util.Map;

/** Converts between LangChain4j tool types and Jlama's: specifications in, tool calls out. */
final class ToolMapping {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ToolMapping() {}

    static Tool toJlamaTool(ToolSpecification spec) {
        Function.Builder f = Function.builder().name(spec.name()).description(spec.description() == null ? "" : spec.description());
        JsonObjectSchema parameters = spec.parameters();
        if (parameters != null && parameters.properties() != null) {
            List<String> required = parameters.required() == null ? List.of() : parameters.required();
            for (Map.Entry<String, JsonSchemaElement> p : parameters.properties().entrySet()) {
                f.addParameter(p.getKey(), JsonSchemaElementUtils.toMap(p.getValue()), required.contains(p.getKey()));
            }
        }
        return Tool.from(f.build());
    }

    static List<ToolExecutionRequest> toExecutionRequests(List<ToolCall> calls) {
        return calls.stream().map(ToolMapping::toExecutionRequest).toList();
    }

    static ToolExecutionRequest toExecutionRequest(ToolCall call) {
        try {
            return ToolExecutionRequest.builder()
                    .id(call.getId())
                    .name(call.getName())
                    .arguments(JSON.writeValueAsString(call.getParameters() == null ? Map.of() : call.getParameters()))
                    .build();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the arguments of tool call '" + call.getName() + "' as JSON", e);
        }
    }
}
