package io.github.chunkkv.cli;

import picocli.CommandLine.Option;

/**
 * {@code -h, --help}, which {@link ExitCodes#commandLine} adds to every command: picocli's standard help options
 * without {@code --version}, as these commands have no version of their own to print.
 */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}
