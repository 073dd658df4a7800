package io.github.chunkkv.langchain4j;

import static dev.langchain4j.internal.Utils.getOrDefault;

import com.github.tjake.jlama.safetensors.DType;
import io.github.chunkkv.jlama.WorkingTypes;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import io.github.chunkkv.config.ChunkKvConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The options both ChunkKV Jlama chat models take. A model comes either from a local Jlama folder
 * ({@link #modelPath}, offline) or by Hugging Face name ({@link #modelName} + {@link #modelCachePath}, downloaded once
 * by Jlama). Without {@link #kvCompression} the cache is full (plain Jlama behaviour).
 *
 * <p>Options given here win over the same values in {@link #defaultRequestParameters}; per-request parameters win
 * over both. Invalid values fail {@code build()} with a message naming the option, before the model is loaded: an
 * {@link IllegalArgumentException}, or an {@code UnsupportedFeatureException} for a default parameter these models do
 * not support (as a request with it would be refused).
 */
public abstract class ChunkKvJlamaModelBuilder<B extends ChunkKvJlamaModelBuilder<B>> {
    /** Where {@link #modelName} downloads go unless {@link #modelCachePath} says otherwise (Jlama's usual place). */
    public static final Path DEFAULT_MODEL_CACHE = Path.of(System.getProperty("user.home"), ".jlama", "models");
    public static final int DEFAULT_MAX_SESSIONS = 8;

    private Path modelPath;
    private String modelName;
    private Path modelCachePath;
    private Integer threadCount;
    private DType workingMemoryType = WorkingTypes.JLAMA_WORKING_MEMORY;
    private DType workingQuantizedType = WorkingTypes.JLAMA_WORKING_QUANTIZED;
    private Double temperature;
    private Integer maxOutputTokens;
    private List<String> stopSequences;
    private List<ChatModelListener> listeners = List.of();
    private ChatRequestParameters defaultRequestParameters = DefaultChatRequestParameters.EMPTY;
    private int maxSessions = DEFAULT_MAX_SESSIONS;
    private ChunkKvConfig kvCompression;

    protected ChunkKvJlamaModelBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** A local Jlama model folder (config.json, tokenizer.json, *.safetensors); nothing is downloaded. */
    public B modelPath(Path modelPath) {
        this.modelPath = modelPath;
        return self();
    }

    /**
     * With {@link #modelPath}: the name reported in responses (default: the folder name). Without it: the Hugging Face
     * model ({@code owner/name}) that Jlama downloads into {@link #modelCachePath} unless it is there already. This is
     * the only name the model answers to: a different {@code modelName} in {@link #defaultRequestParameters} or in a
     * request is an {@code UnsupportedFeatureException}.
     */
    public B modelName(String modelName) {
        this.modelName = modelName;
        return self();
    }

    /** Folder for downloaded models; default {@link #DEFAULT_MODEL_CACHE}. */
    public B modelCachePath(Path modelCachePath) {
        this.modelCachePath = modelCachePath;
        return self();
    }

    /** Jlama worker threads. JVM-wide in Jlama: the first model built fixes it. */
    public B threadCount(int threadCount) {
        this.threadCount = threadCount;
        return self();
    }

    /** Jlama's working memory type: F32 (the default, as Jlama users load) or BF16. */
    public B workingMemoryType(DType workingMemoryType) {
        this.workingMemoryType = workingMemoryType;
        return self();
    }

    /**
     * Jlama's working quantization of activations. Default I8, as Jlama users load every folder: Jlama keeps it for
     * Q4 weights (Q4 × I8 products) and substitutes F32 for F32 weights and BF16 for BF16 weights.
     */
    public B workingQuantizedType(DType workingQuantizedType) {
        this.workingQuantizedType = workingQuantizedType;
        return self();
    }

    /** Sampling temperature, >= 0; 0 (the default) is greedy. */
    public B temperature(double temperature) {
        this.temperature = temperature;
        return self();
    }

    /** Reply length limit in tokens, >= 1; default: until end-of-sequence or the context is full. */
    public B maxOutputTokens(int maxOutputTokens) {
        this.maxOutputTokens = maxOutputTokens;
        return self();
    }

    public B stopSequences(List<String> stopSequences) {
        this.stopSequences = stopSequences;
        return self();
    }

    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
        return self();
    }

    /** Defaults for every request; a {@link ChunkKvChatRequestParameters} may carry the compression too. */
    public B defaultRequestParameters(ChatRequestParameters defaultRequestParameters) {
        this.defaultRequestParameters = defaultRequestParameters == null ? DefaultChatRequestParameters.EMPTY : defaultRequestParameters;
        return self();
    }

    /** How many conversations keep their KV cache for reuse (least recently used ones are freed); default 8. */
    public B maxSessions(int maxSessions) {
        this.maxSessions = maxSessions;
        return self();
    }

    /** ChunkKV with the paper's defaults (chunk 10, window 32), keeping {@code keepRatio} in (0, 1] of the prompt. */
    public B kvCompression(double keepRatio) {
        return kvCompression(CompressionSpecs.keepRatio(keepRatio));
    }

    /** Any policy and parameters; {@link ChunkKvConfig#full()} is the same as no compression. */
    public B kvCompression(ChunkKvConfig config) {
        this.kvCompression = config;
        return self();
    }

    /** A spec string, e.g. {@code "snapkv:keep=0.2"} or {@code "chunkkv:keep=0.1,chunk=10,reuse=2"}. */
    public B kvCompression(String spec) {
        return kvCompression(CompressionSpecs.parse(spec));
    }

    /**
     * Validates every option; returns the defaults that every request is merged with, named after the model that
     * responses report.
     */
    ChunkKvChatRequestParameters validatedDefaults() {
        if (maxSessions < 1) throw new IllegalArgumentException("maxSessions must be >= 1, got " + maxSessions);
        if (workingQuantizedType == null) throw new IllegalArgumentException("workingQuantizedType must not be null");
        if (!WorkingTypes.WORKING_MEMORY.contains(workingMemoryType)) {
            throw new IllegalArgumentException("workingMemoryType must be one of " + WorkingTypes.WORKING_MEMORY + ", got " + workingMemoryType);
        }
        if (modelPath == null && (modelName == null || modelName.isBlank())) {
            throw new IllegalArgumentException("give modelPath (a local Jlama model folder) or modelName (a Hugging Face owner/name to download)");
        }
        String displayName = modelName != null ? modelName : String.valueOf(modelPath.toAbsolutePath().normalize().getFileName());
        return defaults(displayName);
    }

    List<ChatModelListener> configuredListeners() {
        return listeners;
    }

    /** Loads the model, or shares the one already loaded for the same folder and options. */
    JlamaEngine acquireEngine() {
        if (threadCount != null) SharedEngines.applyThreadCount(threadCount);
        Path folder = modelPath != null ? modelPath : download(modelName, getOrDefault(modelCachePath, DEFAULT_MODEL_CACHE));
        return SharedEngines.acquire(folder, workingMemoryType, workingQuantizedType, maxSessions);
    }

    private ChunkKvChatRequestParameters defaults(String displayName) {
        ChunkKvChatRequestParameters.Builder b = ChunkKvChatRequestParameters.builder().overrideWith(defaultRequestParameters);
        b.modelName(getOrDefault(defaultRequestParameters.modelName(), displayName)) // another name is refused below
                .temperature(getOrDefault(temperature, defaultRequestParameters.temperature()))
                .maxOutputTokens(getOrDefault(maxOutputTokens, defaultRequestParameters.maxOutputTokens()))
                .stopSequences(getOrDefault(stopSequences, defaultRequestParameters.stopSequences()));
        if (kvCompression != null) b.kvCompression(kvCompression);
        ChunkKvChatRequestParameters defaults = b.build();
        try {
            GenerationRequest.of(ChatRequest.builder().messages(UserMessage.from("-")).parameters(defaults).build(), displayName);
        } catch (InvalidRequestException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return defaults;
    }

    private static Path download(String name, Path cache) {
        try {
            return SafeTensorSupport.maybeDownloadModel(cache.toString(), name).toPath();
        } catch (IOException | RuntimeException e) {
            throw new ModelNotFoundException("model '" + name + "' is neither in " + cache + " nor downloadable: " + e.getMessage(), e);
        }
    }
}
