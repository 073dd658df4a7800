package io.github.chunkkv.cli;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The exit codes every {@code ./chunkkv} command returns, and the one mapping from what a command throws to them:
 * {@value #OK} done; {@value #USAGE} a bad option or value (picocli's {@link ParameterException}, raised while parsing
 * or by a command's own checks before any work, or an {@link IllegalArgumentException}: input the work refused, such as
 * a malformed input file); {@value #MISSING_MODEL} a {@link MissingModelException}; {@value #FAILURE} anything else.
 */
public final class ExitCodes {
    public static final int OK = CommandLine.ExitCode.OK;
    public static final int FAILURE = CommandLine.ExitCode.SOFTWARE;
    public static final int USAGE = CommandLine.ExitCode.USAGE;
    public static final int MISSING_MODEL = 3;

    /** What {@code --help} lists under "Exit codes:" for a command that does not list its own. */
    private static final Map<String, String> HELP_LIST = helpList();

    private ExitCodes() {}

    /**
     * {@code command} (a picocli {@code @Command}) under the name users type, {@code ./chunkkv NAME}, with
     * {@code -h, --help}, and with errors printed as one line {@code chunkkv NAME: message} (plus a pointer to
     * {@code --help} for usage errors) and mapped to these exit codes, which {@code --help} lists unless the command's
     * {@code exitCodeList} says something more precise.
     */
    public static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command).addMixin("help", new HelpOption());
        UsageMessageSpec help = cl.getCommandSpec().usageMessage();
        if (help.exitCodeList().isEmpty()) help.exitCodeListHeading("%nExit codes:%n").exitCodeList(HELP_LIST);
        return cl.setCommandName("./chunkkv " + cl.getCommandName())
                .setParameterExceptionHandler((e, args) -> usageError(e.getCommandLine(), e))
                .setExecutionExceptionHandler((e, cmd, parsed) -> executionFailure(e, cmd));
    }

    /**
     * The one mapping from what {@code command} threw while running to an exit code, for launchers that keep their own
     * parse-error messages: prints it as one line after {@link #prefix} (with a pointer to {@code --help} for refused
     * input, a stack trace for anything unexpected) and returns {@link #MISSING_MODEL}, {@link #USAGE} or {@link #FAILURE}.
     */
    public static int executionFailure(Exception e, CommandLine command) {
        return switch (e) {
            case MissingModelException missing -> {
                command.getErr().println(prefix(command) + missing.getMessage());
                yield MISSING_MODEL;
            }
            case IllegalArgumentException refused -> usageError(command, refused);
            default -> {
                command.getErr().println(prefix(command) + "failed: " + e);
                e.printStackTrace(command.getErr());
                yield FAILURE;
            }
        };
    }

    /** How a command's error lines start: {@code chunkkv NAME: } (its subcommand's name included, e.g. {@code chunkkv eval niah: }). */
    public static String prefix(CommandLine command) {
        String name = command.getCommandSpec().qualifiedName();
        return (name.startsWith("./") ? name.substring(2) : name) + ": ";
    }

    /** Runs {@code command} on {@code args} with its output on {@code out} and errors on {@code err}; returns the exit code. */
    public static int execute(Object command, String[] args, PrintStream out, PrintStream err) {
        return commandLine(command)
                .setOut(writer(out))
                .setErr(writer(err))
                .execute(args);
    }

    private static int usageError(CommandLine cmd, Exception e) {
        PrintWriter err = cmd.getErr();
        err.println(prefix(cmd) + e.getMessage());
        if (e instanceof UnmatchedArgumentException unmatched) UnmatchedArgumentException.printSuggestions(unmatched, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
        return USAGE;
    }

    private static Map<String, String> helpList() {
        Map<String, String> list = new LinkedHashMap<>();
        list.put(Integer.toString(OK), "done");
        list.put(Integer.toString(USAGE), "bad option or value");
        list.put(Integer.toString(MISSING_MODEL), "the model folder is absent or has no config.json");
        list.put(Integer.toString(FAILURE), "any other failure");
        return Collections.unmodifiableMap(list);
    }

    private static PrintWriter writer(PrintStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, stream.charset()), true);
    }
}
