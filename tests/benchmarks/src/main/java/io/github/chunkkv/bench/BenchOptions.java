package io.github.chunkkv.bench;

import io.github.chunkkv.policy.PolicyRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The validated command line of {@code ./chunkkv bench}. Every bad value is refused with a message naming the option
 * and its allowed range, before any model is built.
 *
 * @param model a Jlama model folder, or empty for a random-weight model of realistic shape
 * @param threads Jlama's worker threads, or 0 for Jlama's default
 */
record BenchOptions(
        Optional<Path> model,
        List<Integer> contexts,
        List<Double> keeps,
        List<String> policies,
        List<Integer> reuses,
        int decodeTokens,
        int threads,
        Optional<Path> out,
        boolean help) {

    static final int MIN_CONTEXT = 16;
    static final int MAX_CONTEXT = 131_072;
    static final int MAX_DECODE_TOKENS = 4096;
    static final int MAX_REUSE = 64;

    static final String USAGE = """
            Usage: ./chunkkv bench [options]
              End-to-end benchmark: stock Jlama vs the ChunkKV path on the same model and prompt, in one run.
              --model DIR          Jlama model folder; default: a random-weight Llama (12 layers, dim 768,
                                   12 query / 4 KV heads, hidden 2048, vocab 4096) written to a temp folder
              --contexts LIST      prompt lengths in tokens, default 1024,4096,8192 (each in [16, 131072])
              --keep LIST          keep ratios in (0, 1], default 1.0,0.2,0.1
              --policies LIST      policies, default chunkkv (any of: %s)
              --reuse LIST         layer-wise index reuse intervals in [1, 64], default 1 (e.g. 1,2)
              --decode-tokens N    timed decode steps per row, in [1, 4096], default 16 (after 2 warm-up steps)
              --threads N          Jlama worker threads in [1, available processors], default Jlama's own
              --out FILE           also write the 'bench' lines to FILE
            Ratios are stock time / ChunkKV time (above 1 = ChunkKV faster); predicted_speedup =
            (weight_bytes + kv_bytes_full) / (weight_bytes + kv_bytes). Ratios are reported, never asserted.
            """.formatted(String.join(", ", PolicyRegistry.names()));

    static BenchOptions parse(String... args) {
        Optional<Path> model = Optional.empty();
        List<Integer> contexts = List.of(1024, 4096, 8192);
        List<Double> keeps = List.of(1.0, 0.2, 0.1);
        List<String> policies = List.of("chunkkv");
        List<Integer> reuses = List.of(1);
        int decodeTokens = 16;
        int threads = 0;
        Optional<Path> out = Optional.empty();
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (name.equals("--help") || name.equals("-h")) {
                help = true;
                continue;
            }
            String value;
            if (arg.contains("=")) {
                value = arg.substring(arg.indexOf('=') + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException(name + " needs a value");
            }
            switch (name) {
                case "--model" -> model = Optional.of(Path.of(nonBlank(name, value)));
                case "--contexts" -> contexts = list(name, value, v -> intIn(name, v, MIN_CONTEXT, MAX_CONTEXT));
                case "--keep" -> keeps = list(name, value, v -> keepRatio(name, v));
                case "--policies" -> policies = list(name, value, PolicyRegistry::canonicalName);
                case "--reuse" -> reuses = list(name, value, v -> intIn(name, v, 1, MAX_REUSE));
                case "--decode-tokens" -> decodeTokens = intIn(name, value, 1, MAX_DECODE_TOKENS);
                case "--threads" -> threads = intIn(name, value, 1, Runtime.getRuntime().availableProcessors());
                case "--out" -> out = Optional.of(Path.of(nonBlank(name, value)));
                default -> throw new IllegalArgumentException("unknown option '" + name + "'");
            }
        }
        return new BenchOptions(model, contexts, keeps, policies, reuses, decodeTokens, threads, out, help);
    }

    int maxContext() {
        return contexts.stream().mapToInt(Integer::intValue).max().orElseThrow();
    }

    int minContext() {
        return contexts.stream().mapToInt(Integer::intValue).min().orElseThrow();
    }

    private static <T> List<T> list(String name, String value, Function<String, T> parse) {
        List<T> items = new ArrayList<>();
        for (String part : value.split(",")) {
            if (part.isBlank()) throw new IllegalArgumentException(name + " must be a comma-separated list without empty items, got '" + value + "'");
            T item = parse.apply(part.trim());
            if (items.contains(item)) throw new IllegalArgumentException(name + " lists '" + part.trim() + "' twice");
            items.add(item);
        }
        return List.copyOf(items);
    }

    private static int intIn(String name, String value, int min, int max) {
        int v;
        try {
            v = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer in [" + min + ", " + max + "], got '" + value + "'");
        }
        if (v < min || v > max) throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + v);
        return v;
    }

    private static double keepRatio(String name, String value) {
        double v;
        try {
            v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must hold numbers in (0, 1], got '" + value + "'");
        }
        if (!(v > 0 && v <= 1)) throw new IllegalArgumentException(name + " must hold numbers in (0, 1], got " + value);
        return v;
    }

    private static String nonBlank(String name, String value) {
        if (value.isBlank()) throw new IllegalArgumentException(name + " needs a non-empty value");
        return value;
    }
}
