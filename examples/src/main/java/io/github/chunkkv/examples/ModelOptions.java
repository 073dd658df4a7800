package io.github.chunkkv.examples;

import io.github.chunkkv.config.ChunkKvConfig;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --model DIR} and {@code --policy SPEC} of the commands that run the embedded model by default
 * ({@code @Mixin ModelOptions modelOptions;}).
 */
public final class ModelOptions {
    private static final ChunkKvConfig DEFAULT_POLICY = ChunkKvConfig.chunkKv(0.1);

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "Jlama model folder (default: the embedded needle-lm, models/needle-lm)")
    Optional<Path> folder = Optional.empty();

    private ChunkKvConfig policy = DEFAULT_POLICY;

    @Option(names = "--policy", paramLabel = "SPEC", description = "KV policy (default: chunkkv:keep=0.1), e.g. full, snapkv:budget=128")
    void policy(String value) {
        policy = OptionValues.policy(spec, "--policy", value);
    }

    /** The model folder, or a {@code MissingModelException} saying what is missing. */
    public Path modelDir() {
        return EmbeddedModel.resolve(folder);
    }

    public ChunkKvConfig policy() {
        return policy;
    }
}
