package io.github.chunkkv.spring;

import com.github.tjake.jlama.safetensors.DType;
import io.github.chunkkv.config.Recall;
import io.github.chunkkv.langchain4j.ChunkKvJlamaModelBuilder;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code chunkkv.*} properties: the model, its KV-cache compression and the defaults of every request. Each one
 * is the builder option of the same name ({@link ChunkKvJlamaModelBuilder}); unset ones keep the builder's default.
 * Either {@code chunkkv.model-path} or {@code chunkkv.model-name} turns the auto-configuration on.
 */
@ConfigurationProperties(prefix = ChunkKvProperties.PREFIX)
public class ChunkKvProperties {
    /** The prefix of every property. */
    public static final String PREFIX = "chunkkv";

    /** A local Jlama model folder (config.json, tokenizer.json, *.safetensors). */
    private Path modelPath;
    /** The Hugging Face model (owner/name) to download when no model-path is given, or the name responses report. */
    private String modelName;
    /** Folder for downloaded models. */
    private Path modelCachePath;
    /** The hub to download model-name from (e.g. a mirror); unset: HF_ENDPOINT or the public hub. */
    private URI modelHubUrl;
    /** Hugging Face access token for gated or private models. */
    private String authToken;
    /** KV-cache compression spec, e.g. chunkkv:keep=0.1 or snapkv:budget=128; unset: full cache. */
    private String kvCompression;
    /** Where a compressed conversation's evicted rows go: off, ram or disk; unset: ram (a recall= in kv-compression wins). */
    private Recall recall;
    /** A folder shared with other instances, where conversations are stored so any instance can continue them. */
    private Path storeDirectory;
    /** Jlama worker threads (JVM-wide, fixed by the first model). */
    private Integer threads;
    /** Jlama's working quantization of activations, e.g. F32 or I8. */
    private DType workingQuantizedType;
    /** Quantize the weights to Q4 while loading. */
    private Boolean quantizeModelAtRuntime;
    /** Sampling temperature, >= 0 (0: greedy). */
    private Double temperature;
    /** Nucleus sampling threshold in (0, 1]. */
    private Double topP;
    /** Draw only from this many most likely tokens. */
    private Integer topK;
    /** Seed for reproducible sampling. */
    private Integer seed;
    /** Repetition penalty, > 0 (1: none). */
    private Double repetitionPenalty;
    /** Reply length limit in tokens. */
    private Integer maxTokens;
    /** Texts that end a reply. */
    private List<String> stopSequences;
    /** Wall time one reply may take; the reply then ends with finish reason LENGTH. */
    private Duration timeout;
    /** Conversations whose KV cache is kept for reuse. */
    private Integer maxSessions;
    /** Log every request at INFO. */
    private Boolean logRequests;
    /** Log every response at INFO. */
    private Boolean logResponses;

    /** Every property unset: Spring binds the {@code chunkkv.*} values through the setters. */
    public ChunkKvProperties() {}

    /** Sets every option that is set here on {@code builder}. */
    <B extends ChunkKvJlamaModelBuilder<B>> B applyTo(B builder) {
        return builder.modelPath(modelPath)
                .modelName(modelName)
                .modelCachePath(modelCachePath)
                .modelHubUrl(modelHubUrl)
                .authToken(authToken)
                .kvCompression(kvCompression)
                .recall(recall)
                .threadCount(threads)
                .workingQuantizedType(workingQuantizedType)
                .quantizeModelAtRuntime(quantizeModelAtRuntime)
                .temperature(temperature)
                .topP(topP)
                .topK(topK)
                .seed(seed)
                .repetitionPenalty(repetitionPenalty)
                .maxTokens(maxTokens)
                .stopSequences(stopSequences)
                .timeout(timeout)
                .maxSessions(maxSessions)
                .logRequests(logRequests)
                .logResponses(logResponses);
    }

    /** The local model folder. */
    public Path getModelPath() {
        return modelPath;
    }

    /** Sets a local Jlama model folder. */
    public void setModelPath(Path modelPath) {
        this.modelPath = modelPath;
    }

    /** The model name. */
    public String getModelName() {
        return modelName;
    }

    /** Sets a Hugging Face owner/name, or the name responses report. */
    public void setModelName(String modelName) {
        this.modelName = modelName;
    }

    /** The download folder. */
    public Path getModelCachePath() {
        return modelCachePath;
    }

    /** Sets the download folder. */
    public void setModelCachePath(Path modelCachePath) {
        this.modelCachePath = modelCachePath;
    }

    /** The hub downloads come from. */
    public URI getModelHubUrl() {
        return modelHubUrl;
    }

    /** Sets the hub downloads come from. */
    public void setModelHubUrl(URI modelHubUrl) {
        this.modelHubUrl = modelHubUrl;
    }

    /** The Hugging Face access token. */
    public String getAuthToken() {
        return authToken;
    }

    /** Sets the Hugging Face access token. */
    public void setAuthToken(String authToken) {
        this.authToken = authToken;
    }

    /** The compression spec. */
    public String getKvCompression() {
        return kvCompression;
    }

    /** Sets a compression spec such as chunkkv:keep=0.1. */
    public void setKvCompression(String kvCompression) {
        this.kvCompression = kvCompression;
    }

    /** Where evicted rows go. */
    public Recall getRecall() {
        return recall;
    }

    /** Sets where evicted rows go: off (dropped), ram or disk. */
    public void setRecall(Recall recall) {
        this.recall = recall;
    }

    /** The shared store folder. */
    public Path getStoreDirectory() {
        return storeDirectory;
    }

    /** Sets a folder shared with other instances (a {@code DirectoryStore}); unset: conversations stay in this JVM. */
    public void setStoreDirectory(Path storeDirectory) {
        this.storeDirectory = storeDirectory;
    }

    /** Jlama's worker threads. */
    public Integer getThreads() {
        return threads;
    }

    /** Sets Jlama's worker threads. */
    public void setThreads(Integer threads) {
        this.threads = threads;
    }

    /** The working quantization. */
    public DType getWorkingQuantizedType() {
        return workingQuantizedType;
    }

    /** Sets the working quantization. */
    public void setWorkingQuantizedType(DType workingQuantizedType) {
        this.workingQuantizedType = workingQuantizedType;
    }

    /** Whether weights are quantized to Q4 while loading. */
    public Boolean getQuantizeModelAtRuntime() {
        return quantizeModelAtRuntime;
    }

    /** Sets whether to quantize weights to Q4 while loading. */
    public void setQuantizeModelAtRuntime(Boolean quantizeModelAtRuntime) {
        this.quantizeModelAtRuntime = quantizeModelAtRuntime;
    }

    /** The sampling temperature. */
    public Double getTemperature() {
        return temperature;
    }

    /** Sets the sampling temperature. */
    public void setTemperature(Double temperature) {
        this.temperature = temperature;
    }

    /** The nucleus threshold. */
    public Double getTopP() {
        return topP;
    }

    /** Sets the nucleus threshold. */
    public void setTopP(Double topP) {
        this.topP = topP;
    }

    /** The top-k limit. */
    public Integer getTopK() {
        return topK;
    }

    /** Sets the top-k limit. */
    public void setTopK(Integer topK) {
        this.topK = topK;
    }

    /** The sampling seed. */
    public Integer getSeed() {
        return seed;
    }

    /** Sets the sampling seed. */
    public void setSeed(Integer seed) {
        this.seed = seed;
    }

    /** The repetition penalty. */
    public Double getRepetitionPenalty() {
        return repetitionPenalty;
    }

    /** Sets the repetition penalty. */
    public void setRepetitionPenalty(Double repetitionPenalty) {
        this.repetitionPenalty = repetitionPenalty;
    }

    /** The reply length limit. */
    public Integer getMaxTokens() {
        return maxTokens;
    }

    /** Sets the reply length limit. */
    public void setMaxTokens(Integer maxTokens) {
        this.maxTokens = maxTokens;
    }

    /** The stop sequences. */
    public List<String> getStopSequences() {
        return stopSequences;
    }

    /** Sets the stop sequences. */
    public void setStopSequences(List<String> stopSequences) {
        this.stopSequences = stopSequences;
    }

    /** The time limit per reply. */
    public Duration getTimeout() {
        return timeout;
    }

    /** Sets the time limit per reply. */
    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    /** The number of cached conversations. */
    public Integer getMaxSessions() {
        return maxSessions;
    }

    /** Sets the number of cached conversations. */
    public void setMaxSessions(Integer maxSessions) {
        this.maxSessions = maxSessions;
    }

    /** Whether requests are logged. */
    public Boolean getLogRequests() {
        return logRequests;
    }

    /** Sets whether to log requests. */
    public void setLogRequests(Boolean logRequests) {
        this.logRequests = logRequests;
    }

    /** Whether responses are logged. */
    public Boolean getLogResponses() {
        return logResponses;
    }

    /** Sets whether to log responses. */
    public void setLogResponses(Boolean logResponses) {
        this.logResponses = logResponses;
    }
}
