package io.github.chunkkv.examples.agent;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The agent's tools: a tiny shop inventory. Every call is recorded so that the example can show what was used. */
public class ShopTools {
    private record Item(int unitsInStock, double unitPriceEuros) {}

    private static final Map<String, Item> INVENTORY = Map.of(
            "lamp", new Item(12, 39.90),
            "chair", new Item(4, 79.00),
            "desk", new Item(0, 249.00));

    private final List<String> calls = new ArrayList<>();

    @Tool("Returns how many units of a product are in stock")
    public int unitsInStock(@P("the product, e.g. lamp") String product) {
        calls.add("unitsInStock(" + product + ")");
        return item(product).unitsInStock();
    }

    @Tool("Returns the price in euros of one unit of a product")
    public double unitPrice(@P("the product, e.g. lamp") String product) {
        calls.add("unitPrice(" + product + ")");
        return item(product).unitPriceEuros();
    }

    /** The tool calls made so far, e.g. {@code unitPrice(lamp)}. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    private static Item item(String product) {
        Item item = INVENTORY.get(product == null ? "" : product.strip().toLowerCase(Locale.ROOT).replaceAll("s$", ""));
        if (item == null) throw new IllegalArgumentException("unknown product '" + product + "'; the shop sells " + INVENTORY.keySet());
        return item;
    }
}
