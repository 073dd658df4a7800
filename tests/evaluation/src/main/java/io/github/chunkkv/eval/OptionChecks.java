package io.github.chunkkv.eval;

import io.github.chunkkv.cli.MissingModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Range checks of option values; a failed check names the option, the allowed range and the value. */
final class OptionChecks {
    private OptionChecks() {}

    static int inRange(String option, int value, int min, int max) {
        if (value < min || value > max) throw new IllegalArgumentException(option + " must be in [" + min + ", " + max + "], got " + value);
        return value;
    }

    static List<Integer> allInRange(String option, List<Integer> values, int min, int max) {
        values.forEach(v -> inRange(option, v, min, max));
        return List.copyOf(values);
    }

    static double inRange(String option, double value, double min, double max) {
        if (!(value >= min && value <= max)) throw new IllegalArgumentException(option + " must be in [" + min + ", " + max + "], got " + value);
        return value;
    }

    static List<Double> allInRange(String option, List<Double> values, double min, double max) {
        for (double v : values) {
            if (!(v >= min && v <= max)) throw new IllegalArgumentException(option + " values must be in [" + min + ", " + max + "], got " + v);
        }
        return List.copyOf(values);
    }

    /**
     * A Jlama model folder: {@code given}, else {@code fallback}. None at all is a usage error; a folder that does not
     * exist is a {@link MissingModelException}; one without config.json is not a model folder.
     */
    static Path modelDir(String option, Path given, Path fallback) {
        Path dir = given != null ? given : fallback;
        if (dir == null) throw new IllegalArgumentException(option + " DIR is required (a Jlama model folder)");
        if (!Files.isDirectory(dir)) throw new MissingModelException(option + ": model folder " + dir + " does not exist");
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalArgumentException(option + " must be a Jlama model folder containing config.json, got " + dir);
        }
        return dir;
    }
}
