package io.github.chunkkv.examples.agent;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import io.github.chunkkv.needle.NeedleFormat.Fact;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The agent's tool: a table of facts the documents do not state, looked up by key. Every call is recorded. */
public class FactTools {
    static final String UNKNOWN = "unknown";

    private final Map<String, String> values;
    private final List<String> calls = new ArrayList<>();

    /** A tool that knows {@code facts} (distinct keys). */
    public FactTools(List<Fact> facts) {
        values = facts.stream().collect(Collectors.toMap(Fact::key, Fact::value));
    }

    /** The value of {@code key}'s fact, or {@value #UNKNOWN}. */
    @Tool("Looks up the value stored under a key, e.g. a magic number, secret word or room number")
    public String lookup(@P("the key the question asks about, e.g. mapaz") String key) {
        calls.add("lookup(" + key + ")");
        return values.getOrDefault(key == null ? "" : key.strip(), UNKNOWN);
    }

    /** The tool calls made so far, e.g. {@code lookup(mapaz)}. */
    public List<String> calls() {
        return List.copyOf(calls);
    }
}
