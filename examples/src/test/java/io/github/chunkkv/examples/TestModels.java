package io.github.chunkkv.examples;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.chunkkv.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Models for the examples' tests: random-weight tiny ones for wiring, the embedded needle-lm for real answers. */
public final class TestModels {
    private TestModels() {}

    /** A tiny random Llama (char-level tokenizer, 1024 positions) written into {@code dir}. */
    public static Path tinyLlama(Path dir) {
        return TinyModels.write(TinyModels.llama(), dir);
    }

    /**
     * models/needle-lm under the repository root. Absent: the test is skipped with a message outside CI, and fails
     * inside CI (env CI=true), where the model is part of the checkout.
     */
    public static Path needleLm() {
        Path dir = EmbeddedModel.defaultDir();
        if (!EmbeddedModel.isModelDir(dir)) {
            String message = "the embedded model needle-lm is not at " + dir + " (train/run.sh builds it into models/needle-lm)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
            assumeTrue(false, message + "; skipping");
        }
        return dir;
    }

    /** Captures what a command prints. */
    public static final class Console {
        private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        public final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
        public final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

        public String out() {
            return outBytes.toString(StandardCharsets.UTF_8);
        }

        public String err() {
            return errBytes.toString(StandardCharsets.UTF_8);
        }
    }
}
