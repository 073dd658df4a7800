package io.github.chunkkv.eval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** {@code --name value} options of one subcommand; every value is checked, and bad input names the option. */
public final class EvalArgs {
    private final Map<String, String> values = new HashMap<>();

    /** Parses {@code args}, accepting only the {@code allowed} option names (without dashes). */
    public EvalArgs(String[] args, Set<String> allowed) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw new IllegalArgumentException("expected an option (--name value), got '" + a + "'");
            String name = a.substring(2);
            if (!allowed.contains(name)) throw new IllegalArgumentException("unknown option --" + name + "; allowed: --" + String.join(", --", allowed.stream().sorted().toList()));
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) throw new IllegalArgumentException("option --" + name + " needs a value");
            if (values.put(name, args[++i]) != null) throw new IllegalArgumentException("option --" + name + " given twice");
        }
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** An existing Jlama model folder (with config.json). */
    public Path modelDir(String name, Path fallback) {
        Path dir = has(name) ? Path.of(values.get(name)) : fallback;
        if (dir == null) throw new IllegalArgumentException("--" + name + " DIR is required (a Jlama model folder)");
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalArgumentException("--" + name + " must be a Jlama model folder containing config.json, got " + dir);
        }
        return dir;
    }

    public Path path(String name, Path fallback) {
        return has(name) ? Path.of(values.get(name)) : fallback;
    }

    public int integer(String name, int fallback, int min, int max) {
        if (!has(name)) return fallback;
        return checkInt(name, parse(name, values.get(name), Integer::parseInt, "an integer"), min, max);
    }

    public List<Integer> integers(String name, List<Integer> fallback, int min, int max) {
        if (!has(name)) return fallback;
        return list(name).stream().map(v -> checkInt(name, parse(name, v, Integer::parseInt, "a list of integers"), min, max)).toList();
    }

    public List<Double> doubles(String name, List<Double> fallback, double min, double max) {
        if (!has(name)) return fallback;
        return list(name).stream().map(v -> {
            double d = parse(name, v, Double::parseDouble, "a list of numbers");
            if (!(d >= min && d <= max)) throw new IllegalArgumentException("--" + name + " values must be in [" + min + ", " + max + "], got " + v);
            return d;
        }).toList();
    }

    public List<String> strings(String name, List<String> fallback) {
        return has(name) ? list(name) : fallback;
    }

    private List<String> list(String name) {
        List<String> items = new ArrayList<>(Arrays.stream(values.get(name).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
        if (items.isEmpty()) throw new IllegalArgumentException("--" + name + " must not be empty");
        return items;
    }

    private static int checkInt(String name, int v, int min, int max) {
        if (v < min || v > max) throw new IllegalArgumentException("--" + name + " must be in [" + min + ", " + max + "], got " + v);
        return v;
    }

    private static <T> T parse(String name, String v, Function<String, T> parser, String what) {
        try {
            return parser.apply(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be " + what + ", got '" + v + "'");
        }
    }
}
