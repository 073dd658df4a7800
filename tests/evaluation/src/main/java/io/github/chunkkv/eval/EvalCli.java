package io.github.chunkkv.eval;

import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.policy.PolicyRegistry;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/** {@code ./chunkkv eval <command> [options]}: the evaluation launcher, one picocli subcommand per experiment. */
@Command(name = "eval",
        description = "Evaluation of the KV-cache policies on real weights (./chunkkv eval <command> --help for its options).",
        subcommands = {FidelityCommand.class, NiahCommand.class, ReuseCommand.class, MultiturnCommand.class, AllCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "2:bad arguments (nothing was run)", "3:the model folder does not exist", "1:any other failure"})
public final class EvalCli implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs a subcommand; returns the exit status ({@link ExitCodes}: 0 ok, 2 bad arguments, 3 missing model, 1 failure).
     * Parse errors are explained here in the words of the options' own checks; what a command throws while running
     * goes through the launcher's shared mapping.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new EvalCli()).setCommandName("./chunkkv eval");
        cli.getCommandSpec().usageMessage().footer("%nPolicies: " + String.join(", ", PolicyRegistry.names()) + " (paper defaults: chunk 10, window 32).");
        return cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8))
                .setErr(new PrintWriter(err, true, StandardCharsets.UTF_8))
                .setParameterExceptionHandler(EvalCli::badArguments)
                .setExecutionExceptionHandler((e, command, parsed) -> ExitCodes.executionFailure(e, command))
                .execute(args);
    }

    /** {@code eval} without a command: the usage, as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    private static int badArguments(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println(ExitCodes.prefix(command) + explain(e));
        command.usage(err);
        return ExitCodes.USAGE;
    }

    /** picocli's parse errors in the words the options' own checks use: the option, what it needs, what it got. */
    private static String explain(ParameterException e) {
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            if (!arg.startsWith("-")) return "unknown command '" + arg + "'";
            List<String> allowed = e.getCommandLine().getCommandSpec().options().stream().map(o -> o.longestName()).sorted().toList();
            return "unknown option " + arg + "; allowed: " + String.join(", ", allowed);
        }
        if (e instanceof MissingParameterException m && !m.getMissing().isEmpty() && m.getMissing().get(0).isOption()) {
            return "option " + name(m.getMissing().get(0)) + " needs a value";
        }
        ArgSpec arg = e.getArgSpec();
        if (arg != null && e.getValue() != null && e.getCause() != null) {
            return name(arg) + " must be " + kind(arg) + ", got '" + e.getValue() + "'";
        }
        return e.getMessage();
    }

    private static String name(ArgSpec arg) {
        return arg instanceof CommandLine.Model.OptionSpec o ? o.longestName() : arg.paramLabel();
    }

    private static String kind(ArgSpec arg) {
        boolean list = List.class.isAssignableFrom(arg.type());
        Class<?> element = list ? arg.auxiliaryTypes()[0] : arg.type();
        boolean integer = element == Integer.class || element == int.class || element == Long.class || element == long.class;
        if (list) return integer ? "a list of integers" : "a list of numbers";
        return integer ? "an integer" : "a number";
    }
}
