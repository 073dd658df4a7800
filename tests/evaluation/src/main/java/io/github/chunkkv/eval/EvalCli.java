package io.github.chunkkv.eval;

import io.github.chunkkv.policy.PolicyRegistry;
import java.io.PrintStream;
import java.util.Arrays;

/** {@code ./chunkkv eval fidelity|niah|reuse|all [options]}: the evaluation launcher. */
public final class EvalCli {
    private static final String USAGE = """
            Usage: ./chunkkv eval <fidelity|niah|reuse|all> [options]     (./chunkkv eval <command> --help for its options)
              fidelity  agreement with FullKV (top-1, first divergence, KL) on stories the model writes itself
              niah      needle-in-a-haystack accuracy per policy and KV budget (single needle, multi-key)
              reuse     layer-wise index reuse: Jaccard of adjacent layers' kept positions; reuse=1/2/3 quality
              all       everything above with the documented defaults, written into docs/ (RESULTS.md, CSV, JSON, PNG)
            Policies: %s (paper defaults: chunk 10, window 32).
            """.formatted(String.join(", ", PolicyRegistry.names()));

    private EvalCli() {}

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a subcommand; returns the exit status (0 ok, 2 bad arguments, 1 failure). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(USAGE);
            return 2;
        }
        String command = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        boolean help = rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h"));
        try {
            switch (command) {
                case "--help", "-h", "help" -> out.print(USAGE);
                case "fidelity" -> { if (help) out.print(FidelityCommand.HELP); else FidelityCommand.main(rest, out); }
                case "niah" -> { if (help) out.print(NiahCommand.HELP); else NiahCommand.main(rest, out); }
                case "reuse" -> { if (help) out.print(ReuseCommand.HELP); else ReuseCommand.main(rest, out); }
                case "all" -> { if (help) out.print(AllCommand.HELP); else AllCommand.main(rest, out); }
                default -> {
                    err.println("eval: unknown command '" + command + "'");
                    err.print(USAGE);
                    return 2;
                }
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("eval " + command + ": " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("eval " + command + ": failed: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }
}
