package io.github.chunkkv.eval;

/** The model folder a command was pointed at (or defaults to) does not exist: exit status 3 rather than 2. */
final class MissingModelException extends IllegalArgumentException {
    MissingModelException(String message) {
        super(message);
    }
}
