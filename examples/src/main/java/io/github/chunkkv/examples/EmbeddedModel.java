package io.github.chunkkv.examples;

import io.github.chunkkv.cli.MissingModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the examples find their model: {@code --model DIR} when given, else the project's own retrieval model,
 * needle-lm, shipped in the repository under {@code models/needle-lm} (the launcher and the tests point the system
 * property {@value #REPO_DIR_PROPERTY} at the repository root).
 */
public final class EmbeddedModel {
    public static final String REPO_DIR_PROPERTY = "chunkkv.repo.dir";
    public static final Path RELATIVE_DIR = Path.of("models", "needle-lm");

    private EmbeddedModel() {}

    /** {@code models/needle-lm} under the repository root (the working directory when the property is unset). */
    public static Path defaultDir() {
        return defaultDir(RELATIVE_DIR);
    }

    /** {@code relativeDir} (e.g. {@code models/agent-lm}) under the repository root. */
    public static Path defaultDir(Path relativeDir) {
        return Path.of(System.getProperty(REPO_DIR_PROPERTY, ".")).resolve(relativeDir).toAbsolutePath().normalize();
    }

    /** Whether {@code dir} looks like a Jlama model folder. */
    public static boolean isModelDir(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"));
    }

    /** The model folder to use, or a {@link MissingModelException} explaining what is missing and what to do. */
    public static Path resolve(Optional<Path> given) {
        return resolve(given, RELATIVE_DIR);
    }

    /** As {@link #resolve(Optional)}, with the embedded model at {@code relativeDir} under the repository root. */
    public static Path resolve(Optional<Path> given, Path relativeDir) {
        Path dir = given.orElseGet(() -> defaultDir(relativeDir));
        if (isModelDir(dir)) return dir;
        throw new MissingModelException(given.isPresent()
                ? "--model " + dir + " is not a Jlama model folder (no config.json there)"
                : "the embedded model is missing: expected " + relativeDir + "/config.json under the repository root ("
                        + dir + "). It ships with the repository (see train/ to rebuild it); or pass --model DIR with any Jlama model folder.");
    }
}
