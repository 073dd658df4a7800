package io.github.chunkkv.examples;

import io.github.chunkkv.config.ChunkKvConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The examples' tiny option parser: {@code --name value} options (some repeatable) and {@code --help}. Anything else
 * is a {@link UsageException} naming the offending argument, raised before any work starts.
 */
public final class CommandLine {
    public static final int EXIT_OK = 0;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_NO_MODEL = 3;

    private final Map<String, List<String>> values;
    private final boolean help;

    private CommandLine(Map<String, List<String>> values, boolean help) {
        this.values = values;
        this.help = help;
    }

    /**
     * Parses {@code args} against the options that take a value, e.g. {@code List.of("--model", "--policy")}; those in
     * {@code repeatable} may be given more than once.
     */
    public static CommandLine parse(String[] args, List<String> options, List<String> repeatable) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
            } else if (options.contains(arg)) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) throw new UsageException(arg + " needs a value");
                List<String> list = values.computeIfAbsent(arg, k -> new ArrayList<>());
                if (!list.isEmpty() && !repeatable.contains(arg)) throw new UsageException(arg + " may be given only once");
                list.add(args[++i]);
            } else {
                throw new UsageException("unknown argument '" + arg + "' (options: " + String.join(", ", options) + ", --help)");
            }
        }
        return new CommandLine(values, help);
    }

    public boolean help() {
        return help;
    }

    public Optional<String> value(String option) {
        return values.getOrDefault(option, List.of()).stream().findFirst();
    }

    public List<String> values(String option) {
        return List.copyOf(values.getOrDefault(option, List.of()));
    }

    public Optional<Path> path(String option) {
        return value(option).map(Path::of);
    }

    /** A KV policy spec such as {@code chunkkv:keep=0.1}; an invalid one is a usage error naming the option. */
    public ChunkKvConfig policy(String option, ChunkKvConfig otherwise) {
        Optional<String> spec = value(option);
        if (spec.isEmpty()) return otherwise;
        try {
            return ChunkKvConfig.parse(spec.get());
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + ": " + e.getMessage());
        }
    }

    /** A positive integer option. */
    public int positiveInt(String option, int otherwise) {
        Optional<String> v = value(option);
        if (v.isEmpty()) return otherwise;
        try {
            int n = Integer.parseInt(v.get());
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // reported below, with the allowed range
        }
        throw new UsageException(option + " must be an integer >= 1, got '" + v.get() + "'");
    }

    /** A command-line mistake; the message says what was wrong. Exit code {@link #EXIT_USAGE}. */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }
}
