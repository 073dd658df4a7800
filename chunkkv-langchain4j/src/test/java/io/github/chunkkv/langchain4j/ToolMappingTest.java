package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.safetensors.prompt.ToolCall;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolMappingTest {
    @Test
    void jlamaToolCallsBecomeExecutionRequestsWithJsonArguments() {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("city", "Oslo");
        args.put("days", 3);
        List<ToolExecutionRequest> requests = ToolMapping.toExecutionRequests(
                List.of(new ToolCall("weather", "000000000", args), new ToolCall("time", "000000001", null)));
        assertEquals(ToolExecutionRequest.builder().id("000000000").name("weather").arguments("{\"city\":\"Oslo\",\"days\":3}").build(),
                requests.get(0));
        assertEquals("{}", requests.get(1).arguments());
        assertTrue(requests.get(1).name().equals("time"));
    }
}
