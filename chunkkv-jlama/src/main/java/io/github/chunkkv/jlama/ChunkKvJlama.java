package io.github.chunkkv.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import io.github.chunkkv.config.ChunkKvConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;

/**
 * Entry point: wrap a loaded Jlama model so that its KV cache is compressed with a ChunkKV (or peer) policy. Every
 * method first checks that the JVM runs with {@value VectorApiCheck#JVM_OPTION} ({@link VectorApiCheck#require()}).
 */
public final class ChunkKvJlama {
    private ChunkKvJlama() {}

    /** Wraps a Jlama model loaded for generation with F32 working memory; the model itself is not modified. */
    public static ChunkKvModel wrap(AbstractModel model, ChunkKvConfig config) {
        VectorApiCheck.require();
        return new ChunkKvModel(model, config, new Random());
    }

    /** As {@link #wrap(AbstractModel, ChunkKvConfig)}, with a seeded sampler for reproducible sampling. */
    public static ChunkKvModel wrap(AbstractModel model, ChunkKvConfig config, long samplingSeed) {
        VectorApiCheck.require();
        return new ChunkKvModel(model, config, new Random(samplingSeed));
    }

    /** Loads a local Jlama model folder (config.json, *.safetensors, tokenizer.json) with F32 working memory. */
    public static AbstractModel loadJlamaModel(Path modelDir) {
        VectorApiCheck.require();
        checkModelDir(modelDir);
        return ModelSupport.loadModel(modelDir.toFile(), DType.F32, DType.F32);
    }

    /**
     * As {@link #loadJlamaModel(Path)}, with Jlama's working directory, where stock Jlama's paged KV cache writes its
     * {@code .page} files, set to {@code workingDir} (created if needed) instead of a new folder in the temp directory.
     * ChunkKV itself writes nothing there.
     */
    public static AbstractModel loadJlamaModel(Path modelDir, Path workingDir) {
        VectorApiCheck.require();
        checkModelDir(modelDir);
        try {
            Files.createDirectories(workingDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Jlama's working directory " + workingDir, e);
        }
        return ModelSupport.loadModel(modelDir.toFile(), workingDir.toFile(), DType.F32, DType.F32, Optional.empty(), Optional.empty());
    }

    private static void checkModelDir(Path modelDir) {
        if (modelDir == null || !Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new IllegalArgumentException("model path must be a Jlama model folder containing config.json, got " + modelDir);
        }
    }
}
