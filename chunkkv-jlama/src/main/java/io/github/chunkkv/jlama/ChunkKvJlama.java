package io.github.chunkkv.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import io.github.chunkkv.config.ChunkKvConfig;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Random;

/** Entry point: wrap a loaded Jlama model so that its KV cache is compressed with a ChunkKV (or peer) policy. */
public final class ChunkKvJlama {
    private ChunkKvJlama() {}

    /**
     * Wraps a Jlama model loaded for generation; the model itself is not modified. A model stock Jlama cannot run
     * (see {@link WorkingTypes}) or an architecture ChunkKV does not reproduce is refused here, before any work.
     */
    public static ChunkKvModel wrap(AbstractModel model, ChunkKvConfig config) {
        return new ChunkKvModel(model, config, new Random());
    }

    /** As {@link #wrap(AbstractModel, ChunkKvConfig)}, with a seeded sampler for reproducible sampling. */
    public static ChunkKvModel wrap(AbstractModel model, ChunkKvConfig config, long samplingSeed) {
        return new ChunkKvModel(model, config, new Random(samplingSeed));
    }

    /**
     * Loads a local Jlama model folder (config.json, *.safetensors, tokenizer.json) as Jlama users do: working memory
     * F32, working quantized type I8 (Jlama keeps I8 for Q4 weights and substitutes F32 or BF16 for the others). The
     * folder is checked first ({@link ModelFolderCheck}).
     */
    public static AbstractModel loadJlamaModel(Path modelDir) {
        return loadJlamaModel(modelDir, WorkingTypes.JLAMA_WORKING_MEMORY, WorkingTypes.JLAMA_WORKING_QUANTIZED);
    }

    /** As {@link #loadJlamaModel(Path)} with the given working memory type (F32 or BF16) and working quantized type. */
    public static AbstractModel loadJlamaModel(Path modelDir, DType workingMemory, DType workingQuantized) {
        Objects.requireNonNull(workingMemory, "workingMemory");
        Objects.requireNonNull(workingQuantized, "workingQuantized");
        WorkingTypes.checkWorkingMemory(workingMemory);
        ModelFolderCheck.verify(modelDir);
        return ModelSupport.loadModel(modelDir.toFile(), workingMemory, workingQuantized);
    }
}
