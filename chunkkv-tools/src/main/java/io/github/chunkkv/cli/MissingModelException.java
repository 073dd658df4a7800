package io.github.chunkkv.cli;

/** No usable model folder (absent, or without {@code config.json}); the message says what to do. Exit code {@link ExitCodes#MISSING_MODEL}. */
public final class MissingModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MissingModelException(String message) {
        super(message);
    }
}
