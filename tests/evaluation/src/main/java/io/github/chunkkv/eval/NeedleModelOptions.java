package io.github.chunkkv.eval;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The retrieval model and filler text of the needle experiments ({@code niah}, {@code multiturn}): a picocli mixin. */
final class NeedleModelOptions {
    @Option(names = "--model", paramLabel = "DIR", description = "Jlama model folder (default: models/needle-lm in the repository).")
    Path model;

    @Option(names = "--haystack", paramLabel = "FILE", description = "Filler text (default: haystack-nt.txt in the model folder).")
    Path haystack;

    /** The model folder, checked: given, or models/needle-lm in the repository. */
    Path modelDir() {
        return OptionChecks.modelDir("--model", model, NiahCommand.defaultModelPath());
    }

    /** The filler text: given, or the model folder's haystack-nt.txt. */
    Haystack haystack(Path modelDir) {
        return Haystack.load(haystack != null ? haystack : modelDir.resolve("haystack-nt.txt"));
    }
}
