package io.github.chunkkv.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import io.github.chunkkv.config.ChunkKvConfig;
import java.nio.file.Files;
import java.nio.file.Path;
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
        if (modelDir == null || !Files.isRegularFile(modelDir.resolve("config.json"))) {
            throw new IllegalArgumentException("model path must be a Jlama model folder containing config.json, got " + modelDir);
        }
        return ModelSupport.loadModel(modelDir.toFile(), DType.F32, DType.F32);
    }
}
