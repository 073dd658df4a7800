package io.github.chunkkv.langchain4j;

import static dev.langchain4j.internal.Utils.getOrDefault;

import com.github.tjake.jlama.safetensors.DType;
import io.github.chunkkv.jlama.WorkingTypes;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.spi.ServiceHelper;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.config.Recall;
import io.github.chunkkv.jlama.VectorApiCheck;
import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.SharedSessions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The options both ChunkKV Jlama chat models take. A model comes either from a local Jlama folder
 * ({@link #modelPath}, offline) or by Hugging Face name ({@link #modelName} + {@link #modelCachePath}, downloaded once:
 * resumable, retried, checksummed; see {@link #modelName}). Without {@link #kvCompression} the cache is full (plain Jlama behaviour).
 * With it, the cached conversations use recall ({@link Recall#RAM} unless {@link #recall} or the spec's own
 * {@code recall=} says otherwise): chat memory re-sends the history, so every turn is a later question about the same
 * context, which is what recall is for.
 *
 * <p>Every option is optional and boxed, null meaning its default, as in LangChain4j's provider builders. Options
 * given here win over the same values in {@link #defaultRequestParameters}; per-request parameters win over both.
 * Invalid values fail {@code build()} with a message naming the option, before the model is loaded; so does a JVM
 * started without {@value VectorApiCheck#JVM_OPTION}.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class ChunkKvJlamaModelBuilder<B extends ChunkKvJlamaModelBuilder<B>> {
    /** Where {@link #modelName} downloads go unless {@link #modelCachePath} says otherwise (Jlama's usual place). */
    public static final Path DEFAULT_MODEL_CACHE = Path.of(System.getProperty("user.home"), ".jlama", "models");
    /** Conversations whose KV cache is kept for reuse unless {@link #maxSessions} says otherwise. */
    public static final int DEFAULT_MAX_SESSIONS = 8;
    private static final Duration DOWNLOAD_FIRST_BACKOFF = Duration.ofSeconds(1);

    private Path modelPath;
    private String modelName;
    private Path modelCachePath;
    private URI modelHubUrl;
    private String authToken;
    private Integer threadCount;
    private DType workingMemoryType;
    private DType workingQuantizedType;
    private Boolean quantizeModelAtRuntime;
    private Double temperature;
    private Double topP;
    private Integer topK;
    private Integer seed;
    private Double repetitionPenalty;
    private Integer maxOutputTokens;
    private List<String> stopSequences;
    private Duration timeout;
    private List<ChatModelListener> listeners = List.of();
    private ChatRequestParameters defaultRequestParameters = DefaultChatRequestParameters.EMPTY;
    private Integer maxSessions;
    private KvCacheStore store;
    private ChunkKvConfig kvCompression;
    private boolean compressionNamesRecall;
    private Recall recall;
    private Set<Capability> supportedCapabilities = Set.of();
    private Boolean logRequests;
    private Boolean logResponses;
    private Logger logger;

    /** For the two model builders. */
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
     * model ({@code owner/name}) to download into {@link #modelCachePath}{@code /owner_name} unless it is there already
     * (the folder layout of Jlama's own downloader, so either finds the other's models). Interrupted downloads resume
     * where they stopped; network failures are retried with backoff; LFS files are checked against the hub's SHA-256.
     * This is the only name the model answers to: a different {@code modelName} in {@link #defaultRequestParameters} or
     * in a request is an {@code UnsupportedFeatureException}.
     */
    public B modelName(String modelName) {
        this.modelName = modelName;
        return self();
    }

    /** Folder for downloaded models; null: {@link #DEFAULT_MODEL_CACHE}. */
    public B modelCachePath(Path modelCachePath) {
        this.modelCachePath = modelCachePath;
        return self();
    }

    /** The hub to download {@link #modelName} from, e.g. a mirror; null: the {@code HF_ENDPOINT} variable or the public hub. */
    public B modelHubUrl(URI modelHubUrl) {
        this.modelHubUrl = modelHubUrl;
        return self();
    }

    /** Hugging Face access token for gated or private models given by {@link #modelName}; null: anonymous. */
    public B authToken(String authToken) {
        this.authToken = authToken;
        return self();
    }

    /** Jlama worker threads. JVM-wide in Jlama: the first model built fixes it; null: Jlama's default. */
    public B threadCount(Integer threadCount) {
        this.threadCount = threadCount;
        return self();
    }

    /** Jlama's working memory type: F32, or BF16 for BF16 weights; null: F32, as Jlama users load. */
    public B workingMemoryType(DType workingMemoryType) {
        this.workingMemoryType = workingMemoryType;
        return self();
    }

    /**
     * Jlama's working quantization of activations; null: I8, as Jlama users load every folder: Jlama keeps it for
     * Q4 weights (Q4 × I8 products) and substitutes F32 for F32 weights and BF16 for BF16 weights.
     */
    public B workingQuantizedType(DType workingQuantizedType) {
        this.workingQuantizedType = workingQuantizedType;
        return self();
    }

    /** True: quantize F32/F16/BF16 weights to Q4 while loading (less memory, lower fidelity); null: false. */
    public B quantizeModelAtRuntime(Boolean quantizeModelAtRuntime) {
        this.quantizeModelAtRuntime = quantizeModelAtRuntime;
        return self();
    }

    /** Sampling temperature, >= 0; null: 0, greedy. */
    public B temperature(Double temperature) {
        this.temperature = temperature;
        return self();
    }

    /** Nucleus sampling: draw from the most likely tokens whose probabilities reach {@code topP}, in (0, 1]; null: 1. */
    public B topP(Double topP) {
        this.topP = topP;
        return self();
    }

    /** Draw from the {@code topK} (>= 1) most likely tokens only; null: no limit. */
    public B topK(Integer topK) {
        this.topK = topK;
        return self();
    }

    /** Seeds every request's sampling, so that the same request draws the same reply; null: unseeded. */
    public B seed(Integer seed) {
        this.seed = seed;
        return self();
    }

    /** Penalizes tokens already in the conversation: > 0, 1 = none, above 1 discourages repeats; null: none. */
    public B repetitionPenalty(Double repetitionPenalty) {
        this.repetitionPenalty = repetitionPenalty;
        return self();
    }

    /** Reply length limit in tokens, >= 1; null: until end-of-sequence or the context is full. */
    public B maxOutputTokens(Integer maxOutputTokens) {
        this.maxOutputTokens = maxOutputTokens;
        return self();
    }

    /** The same as {@link #maxOutputTokens}, under the name most LangChain4j providers use. */
    public B maxTokens(Integer maxTokens) {
        return maxOutputTokens(maxTokens);
    }

    /** Texts that end a reply, which is cut before the first one; null: none. */
    public B stopSequences(List<String> stopSequences) {
        this.stopSequences = stopSequences;
        return self();
    }

    /**
     * Wall time one reply may take, prefill included; positive; null: no limit. It is checked between tokens: the
     * reply then ends cleanly with what was generated so far and finish reason {@code LENGTH}.
     */
    public B timeout(Duration timeout) {
        this.timeout = timeout;
        return self();
    }

    /** Observers of every request, response and error; null: none. */
    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
        return self();
    }

    /** Defaults for every request; a {@link ChunkKvChatRequestParameters} may carry the compression too. */
    public B defaultRequestParameters(ChatRequestParameters defaultRequestParameters) {
        this.defaultRequestParameters = defaultRequestParameters == null ? DefaultChatRequestParameters.EMPTY : defaultRequestParameters;
        return self();
    }

    /** How many conversations keep their KV cache for reuse (least recently used ones are freed); null: 8. */
    public B maxSessions(Integer maxSessions) {
        this.maxSessions = maxSessions;
        return self();
    }

    /**
     * A store shared with other instances of this model (e.g. {@code RedisKvCacheStore} from {@code chunkkv-store-redis},
     * or a {@code DirectoryStore} on a shared folder), so that any instance can answer any turn of a conversation. A
     * request whose prompt extends a stored session longer than anything cached locally continues it and prefills only
     * the new tokens; after each reply the session is written to the store behind the response, on a background
     * thread. Store failures never fail a request: they are logged as warnings to {@link #logger} and the request is
     * prefilled locally. Sessions are shared per compression policy; the caller closes the store after the models.
     * Null: none, conversations stay in this JVM.
     */
    public B store(KvCacheStore store) {
        this.store = store;
        return self();
    }

    /**
     * ChunkKV with the paper's defaults (chunk 10, window 32), keeping {@code keepRatio} in (0, 1] of the prompt; null:
     * no compression.
     */
    public B kvCompression(Double keepRatio) {
        return compression(keepRatio == null ? null : CompressionSpecs.keepRatio(keepRatio), false);
    }

    /** Any policy and parameters, recall included (taken as given); {@link ChunkKvConfig#full()} or null is no compression. */
    public B kvCompression(ChunkKvConfig config) {
        return compression(config, true);
    }

    /**
     * A spec string, e.g. {@code "snapkv:keep=0.2"} or {@code "chunkkv:keep=0.1,chunk=10,reuse=2"}; a {@code recall=}
     * in it wins over {@link #recall}; null: no compression.
     */
    public B kvCompression(String spec) {
        return spec == null ? compression(null, false) : compression(CompressionSpecs.parse(spec), CompressionSpecs.namesRecall(spec));
    }

    /** Where a compressed conversation's evicted rows go; null: {@link Recall#RAM}. Ignored without compression. */
    public B recall(Recall recall) {
        this.recall = recall;
        return self();
    }

    private B compression(ChunkKvConfig config, boolean namesRecall) {
        this.kvCompression = config;
        this.compressionNamesRecall = namesRecall;
        return self();
    }

    /**
     * What {@code supportedCapabilities()} reports, e.g. to let AiServices pass a response format; null: none. The
     * model itself supports no {@link Capability}: JSON response formats are refused whatever is declared here.
     */
    public B supportedCapabilities(Set<Capability> supportedCapabilities) {
        this.supportedCapabilities = supportedCapabilities == null ? Set.of() : Set.copyOf(supportedCapabilities);
        return self();
    }

    /** The same as {@link #supportedCapabilities(Set)}. */
    public B supportedCapabilities(Capability... supportedCapabilities) {
        return supportedCapabilities(Set.of(supportedCapabilities));
    }

    /** True: log every request (messages and merged parameters) at INFO to {@link #logger}; null: false. */
    public B logRequests(Boolean logRequests) {
        this.logRequests = logRequests;
        return self();
    }

    /** True: log every response (message and KV-cache metadata) at INFO to {@link #logger}; null: false. */
    public B logResponses(Boolean logResponses) {
        this.logResponses = logResponses;
        return self();
    }

    /** Where {@link #logRequests}, {@link #logResponses} and the {@link #store}'s warnings write; null: the model class's logger. */
    public B logger(Logger logger) {
        this.logger = logger;
        return self();
    }

    /** The builder of the first registered {@code factoryType}, or {@code plain}'s. */
    static <T extends ChunkKvJlamaModelBuilder<T>> T fromFactory(Class<? extends Supplier<T>> factoryType, Supplier<T> plain) {
        for (Supplier<T> factory : ServiceHelper.loadFactories(factoryType)) return factory.get();
        return plain.get();
    }

    /**
     * Validates every option; returns the defaults that every request is merged with, named after the model that
     * responses report.
     */
    ChunkKvChatRequestParameters validatedDefaults() {
        VectorApiCheck.require();
        if (maxSessions != null && maxSessions < 1) throw new IllegalArgumentException("maxSessions must be >= 1, got " + maxSessions);
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive (null = none), got " + timeout);
        }
        if (workingMemoryType != null && !WorkingTypes.WORKING_MEMORY.contains(workingMemoryType)) {
            throw new IllegalArgumentException("workingMemoryType must be one of " + WorkingTypes.WORKING_MEMORY + ", got " + workingMemoryType);
        }
        if (modelPath == null && (modelName == null || modelName.isBlank())) {
            throw new IllegalArgumentException("give modelPath (a local Jlama model folder) or modelName (a Hugging Face owner/name to download)");
        }
        if (modelPath == null && !HubDownloader.REPOSITORY.matcher(modelName).matches()) {
            throw new IllegalArgumentException("modelName must be a Hugging Face repository 'owner/name' when no modelPath is given, got '"
                    + modelName + "'");
        }
        String displayName = modelName != null ? modelName : String.valueOf(modelPath.toAbsolutePath().normalize().getFileName());
        return defaults(displayName);
    }

    List<ChatModelListener> configuredListeners() {
        return listeners;
    }

    Set<Capability> configuredCapabilities() {
        return supportedCapabilities;
    }

    Duration configuredTimeout() {
        return timeout;
    }

    ExchangeLog exchangeLog(Class<?> modelClass) {
        return new ExchangeLog(getOrDefault(logger, () -> LoggerFactory.getLogger(modelClass)), getOrDefault(logRequests, false),
                getOrDefault(logResponses, false));
    }

    /** Loads the model, or shares the one already loaded for the same folder and options. */
    JlamaEngine acquireEngine() {
        if (threadCount != null) SharedEngines.applyThreadCount(threadCount);
        Path folder = modelPath != null ? modelPath : download(modelName, getOrDefault(modelCachePath, DEFAULT_MODEL_CACHE));
        boolean quantize = getOrDefault(quantizeModelAtRuntime, false);
        // Jlama picks the working quantized type from the stored weights; weights quantized to Q4 on load keep the
        // F32 activations that pairing was tested with, unless asked otherwise.
        DType quantized = getOrDefault(workingQuantizedType, quantize ? DType.F32 : WorkingTypes.JLAMA_WORKING_QUANTIZED);
        return SharedEngines.acquire(folder, getOrDefault(workingMemoryType, WorkingTypes.JLAMA_WORKING_MEMORY), quantized, quantize,
                getOrDefault(maxSessions, DEFAULT_MAX_SESSIONS), store, getOrDefault(logger, () -> LoggerFactory.getLogger(SharedSessions.class)));
    }

    private ChunkKvChatRequestParameters defaults(String displayName) {
        ChunkKvChatRequestParameters options = ChunkKvChatRequestParameters.builder()
                .modelName(getOrDefault(defaultRequestParameters.modelName(), displayName)) // another name is refused below
                .temperature(temperature)
                .topP(topP)
                .topK(topK)
                .seed(seed)
                .repetitionPenalty(repetitionPenalty)
                .maxOutputTokens(maxOutputTokens)
                .stopSequences(stopSequences)
                .kvCompression(kvCompression == null || compressionNamesRecall ? kvCompression : kvCompression.withRecall(getOrDefault(recall, Recall.RAM)))
                .build();
        ChunkKvChatRequestParameters defaults = ChunkKvChatRequestParameters.builder()
                .overrideWith(defaultRequestParameters)
                .overrideWith(options) // only the options set here (non-null) win
                .build();
        try {
            GenerationRequest.of(ChatRequest.builder().messages(UserMessage.from("-")).parameters(defaults).build(), displayName);
        } catch (InvalidRequestException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return defaults;
    }

    private Path download(String name, Path cache) {
        URI hub = getOrDefault(modelHubUrl, HubDownloader.DEFAULT_HUB);
        try {
            return new HubDownloader(hub, authToken, DOWNLOAD_FIRST_BACKOFF).download(name, cache);
        } catch (IOException e) {
            throw new ModelNotFoundException("model '" + name + "' is not in " + cache + " and could not be downloaded from " + hub + " ("
                    + e.getMessage() + "). Without network access, download its folder (config.json, tokenizer.json, *.safetensors) "
                    + "elsewhere, copy it here and give it with modelPath(...)", e);
        }
    }
}
