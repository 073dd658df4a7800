package io.github.chunkkv.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import io.github.chunkkv.config.ChunkKvConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.WeakHashMap;

/**
 * Entry point: wrap a loaded Jlama model so that its KV cache is compressed with a ChunkKV (or peer) policy. Every
 * method first checks that the JVM runs with {@value VectorApiCheck#JVM_OPTION} ({@link VectorApiCheck#require()}).
 */
public final class ChunkKvJlama {
    /** What config.json said about attention, for the models loaded here (Jlama's own Config drops it). */
    private static final Map<AbstractModel, AttentionConfig> ATTENTION = Collections.synchronizedMap(new WeakHashMap<>());

    private ChunkKvJlama() {}

    /**
     * Wraps a Jlama model loaded for generation; the model itself is not modified. A model stock Jlama cannot run
     * (see {@link WorkingTypes}) or an architecture ChunkKV does not reproduce is refused here, before any work. For a
     * model loaded by {@link #loadJlamaModel}, ChunkKV's attention also applies what Jlama 0.8.4 ignores in config.json
     * (Llama 3 RoPE scaling, a sliding window); a model loaded by Jlama directly runs with Jlama's reading of it.
     */
    public static ChunkKvModel wrap(AbstractModel model, ChunkKvConfig config) {
        VectorApiCheck.require();
        return new ChunkKvModel(model, config, new Random(), attentionConfig(model));
    }

    /** As {@link #wrap(AbstractModel, ChunkKvConfig)}, with a seeded sampler for reproducible sampling. */
    public static ChunkKvModel wrap(AbstractModel model, ChunkKvConfig config, long samplingSeed) {
        VectorApiCheck.require();
        return new ChunkKvModel(model, config, new Random(samplingSeed), attentionConfig(model));
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
        return loadJlamaModel(modelDir, null, workingMemory, workingQuantized, false);
    }

    /**
     * As {@link #loadJlamaModel(Path)}, with Jlama's working directory, where stock Jlama's paged KV cache writes its
     * {@code .page} files, set to {@code workingDir} instead of a new folder in the temp directory. ChunkKV itself
     * writes nothing there.
     */
    public static AbstractModel loadJlamaModel(Path modelDir, Path workingDir) {
        Objects.requireNonNull(workingDir, "workingDir");
        return loadJlamaModel(modelDir, workingDir, WorkingTypes.JLAMA_WORKING_MEMORY, WorkingTypes.JLAMA_WORKING_QUANTIZED, false);
    }

    /**
     * The general form of {@link #loadJlamaModel(Path)}.
     *
     * @param workingDir Jlama's working directory (created if needed), or null for a new folder in the temp directory
     * @param quantizeToQ4 quantize the weights to Q4 while loading (Jlama's runtime quantization)
     */
    public static AbstractModel loadJlamaModel(Path modelDir, Path workingDir, DType workingMemory, DType workingQuantized,
            boolean quantizeToQ4) {
        VectorApiCheck.require();
        Objects.requireNonNull(workingMemory, "workingMemory");
        Objects.requireNonNull(workingQuantized, "workingQuantized");
        WorkingTypes.checkWorkingMemory(workingMemory);
        AttentionConfig attention = ModelFolderCheck.check(modelDir);
        if (workingDir != null) {
            try {
                Files.createDirectories(workingDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create Jlama's working directory " + workingDir, e);
            }
        }
        AbstractModel model = ModelSupport.loadModel(modelDir.toFile(), workingDir == null ? null : workingDir.toFile(), workingMemory,
                workingQuantized, quantizeToQ4 ? Optional.of(DType.Q4) : Optional.empty(), Optional.empty());
        ATTENTION.put(model, attention);
        return model;
    }

    private static AttentionConfig attentionConfig(AbstractModel model) {
        return model == null ? AttentionConfig.NONE : ATTENTION.getOrDefault(model, AttentionConfig.NONE);
    }
}
