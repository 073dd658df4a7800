package io.github.chunkkv.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.github.chunkkv.convert.Llama2cImporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real models the evaluation tests need. Outside CI a missing model skips the test with a message saying
 * where to put it; inside CI (env CI=true) it fails the test, because CI must run them.
 */
public final class RealModels {
    private static Path importedStories;

    private RealModels() {}

    /** The vendored llama2.c stories260K folder (stories260K.bin, tok512.bin), {@code chunkkv.repo.dir}/models/stories260K. */
    public static Path stories260KSource() {
        Path dir = repoDir().resolve("models/stories260K");
        require(Files.isRegularFile(dir.resolve("stories260K.bin")) && Files.isRegularFile(dir.resolve("tok512.bin")),
                "stories260K not found: the repository ships stories260K.bin and tok512.bin in " + dir.toAbsolutePath().normalize());
        return dir;
    }

    /** stories260K converted to a Jlama folder, once per test JVM (deleted at exit). */
    public static synchronized Path stories260K() {
        if (importedStories == null) {
            Path src = stories260KSource();
            try {
                Path parent = Files.createTempDirectory("chunkkv-stories260K-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(parent)));
                importedStories = Llama2cImporter.importModel(src.resolve("stories260K.bin"), src.resolve("tok512.bin"), parent.resolve("model"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return importedStories;
    }

    /** The project's trained retrieval model, {@code chunkkv.repo.dir}/models/needle-lm. */
    public static Path needleLm() {
        return shipped("needle-lm", "the trained retrieval model", "(config.json, model.safetensors, tokenizer.json, README.md)");
    }

    /** The project's embedded tool-calling model, {@code chunkkv.repo.dir}/models/agent-lm. */
    public static Path agentLm() {
        return shipped("agent-lm", "the tool-calling model", "(rebuild it with sh train/run-agent.sh)");
    }

    /** {@code models/NAME} of the repository, when it holds a config.json and weights. */
    private static Path shipped(String name, String what, String hint) {
        Path dir = repoDir().resolve("models").resolve(name);
        require(Files.isRegularFile(dir.resolve("config.json")) && Files.isRegularFile(dir.resolve("model.safetensors")),
                name + " not found: " + what + " belongs in " + dir.toAbsolutePath().normalize() + " " + hint);
        return dir;
    }

    private static Path repoDir() {
        return Path.of(System.getProperty("chunkkv.repo.dir", ".."));
    }

    private static void require(boolean present, String message) {
        if (present) return;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
        Assumptions.abort(message);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
