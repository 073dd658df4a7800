package io.github.chunkkv.jlama;

import java.nio.file.Path;

/**
 * A Jlama model folder that Jlama would fail on (often without a message, sometimes by crashing the JVM): names the
 * file, the field or tensor, and what was expected.
 */
public final class ModelFolderException extends IllegalArgumentException {
    /** The file at fault (also the message's prefix). */
    private final Path file;

    ModelFolderException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    ModelFolderException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem is in. */
    public Path file() {
        return file;
    }
}
