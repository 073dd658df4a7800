package io.github.chunkkv.examples.snapshot;

import io.github.chunkkv.examples.EmbeddedModel;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/** The exit codes of {@code snapshot} and {@code ask}: 0 done, 2 bad arguments or input, 3 no model, 1 anything else. */
final class SnapshotExits {
    static final int NO_MODEL = 3;
    static final String DONE = "0:done";
    static final String BAD_INPUT = "2:bad arguments, input or output path (an invalid policy, an unreadable document, a corrupt, truncated"
            + " or foreign snapshot, an unwritable --out); nothing is written";
    static final String MISSING_MODEL = "3:no model folder (the embedded needle-lm is missing or --model is not one)";
    static final String OTHER = "1:any other failure";

    private SnapshotExits() {}

    /** {@code command} as a picocli command line whose failures print one line and map to the codes above. */
    static CommandLine commandLine(Object command, String name) {
        return new CommandLine(command).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(name + ": " + (e instanceof IllegalArgumentException || e instanceof EmbeddedModel.MissingModelException
                    || e instanceof UncheckedIOException ? e.getMessage() : "failed: " + e));
            if (e instanceof EmbeddedModel.MissingModelException) return NO_MODEL;
            return e instanceof IllegalArgumentException || e instanceof UncheckedIOException ? CommandLine.ExitCode.USAGE
                    : CommandLine.ExitCode.SOFTWARE;
        });
    }
}
