package io.github.chunkkv.eval;

import io.github.chunkkv.cli.ExitCodes;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every {@code eval} subcommand shares: a generated {@code --help} and the output its result lines go to.
 * Subcommands check every option value before loading a model, so bad input fails before any work.
 */
abstract class EvalSubcommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public final Integer call() {
        run(spec.commandLine().getOut());
        return ExitCodes.OK;
    }

    /** Runs the experiment, printing one line per result to {@code out}. */
    abstract void run(PrintWriter out);
}
