package io.github.chunkkv.examples;

import io.github.chunkkv.config.ChunkKvConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Values of the options the examples' commands share, checked while picocli parses them (from an option's setter):
 * a bad one is a usage error whose message names the option and what it allows, raised before any work starts.
 */
public final class OptionValues {
    private OptionValues() {}

    /** A KV policy spec such as {@code chunkkv:keep=0.1}. */
    public static ChunkKvConfig policy(CommandSpec spec, String option, String value) {
        try {
            return ChunkKvConfig.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage(), e);
        }
    }

    /** An integer of at least 1. */
    public static int positiveInt(CommandSpec spec, String option, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // reported below, with the allowed range
        }
        throw new ParameterException(spec.commandLine(), option + " must be an integer >= 1, got '" + value + "'");
    }
}
