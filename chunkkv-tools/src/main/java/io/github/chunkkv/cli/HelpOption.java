package io.github.chunkkv.cli;

import picocli.CommandLine.Option;

/**
 * {@code -h, --help} for a command ({@code @Mixin HelpOption help;}): picocli's standard help options without
 * {@code --version}, which these commands have no version of their own to print.
 */
public final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}
