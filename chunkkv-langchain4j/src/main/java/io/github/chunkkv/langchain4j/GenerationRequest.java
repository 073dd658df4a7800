package io.github.chunkkv.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.jlama.GenerationOptions;
import io.github.chunkkv.jlama.SamplingOptions;
import java.time.Duration;
import java.util.List;

/**
 * One chat request resolved against the model: every parameter validated (bad values are an
 * {@link InvalidRequestException} naming the parameter, unsupported ones an {@link UnsupportedFeatureException}) and
 * every unset one defaulted: temperature 0 (greedy, where top-p, top-k and seed change nothing; a repetition penalty
 * still applies), no output limit but the context, full KV cache. Tool choice NONE drops the tools from the prompt;
 * REQUIRED cannot be enforced and is refused. With {@link #requireRenderableBy}
 * the messages and tools are checked against the model's prompt renderer too, so that every refusal happens before a
 * generation starts (a streaming model throws it from {@code chat} instead of streaming it to the handler).
 *
 * @param options the sampling, the output limit ({@link Integer#MAX_VALUE} when the request sets none) and the stop
 *     sequences
 */
record GenerationRequest(List<ChatMessage> messages, List<ToolSpecification> tools, GenerationOptions options,
        ChunkKvConfig compression) {

    /**
     * Resolves a request whose parameters were already merged with the model's defaults. {@code modelName} names the
     * one model this instance loaded (set on the builder); asking for another is unsupported, as with any provider
     * that cannot switch models per request.
     */
    static GenerationRequest of(ChatRequest request, String servedModelName) {
        ChatRequestParameters p = request.parameters();
        if (p.modelName() != null && !p.modelName().equals(servedModelName)) {
            throw new UnsupportedFeatureException("modelName '" + p.modelName() + "' is not supported: this chat model serves only '"
                    + servedModelName + "' (the model it loaded; choose the model on the builder)");
        }
        unsupported(p.frequencyPenalty(), "frequencyPenalty");
        unsupported(p.presencePenalty(), "presencePenalty");
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("JSON response format is not supported by the Jlama chat models");
        }
        if (p.toolChoice() == ToolChoice.REQUIRED) {
            throw new UnsupportedFeatureException("ToolChoice.REQUIRED is not supported by the Jlama chat models: a local model cannot be forced to call a tool");
        }
        Integer maxOutputTokens = p.maxOutputTokens();
        if (maxOutputTokens != null && maxOutputTokens < 1) {
            throw new InvalidRequestException("maxOutputTokens must be >= 1, got " + maxOutputTokens);
        }
        GenerationOptions options;
        try {
            options = GenerationOptions.maxTokens(maxOutputTokens == null ? Integer.MAX_VALUE : maxOutputTokens)
                    .withSampling(sampling(p))
                    .withStopSequences(p.stopSequences() == null ? List.of() : p.stopSequences());
        } catch (IllegalArgumentException e) { // a bad sampling parameter or stop sequence, named in the message
            throw new InvalidRequestException(e.getMessage(), e);
        }
        List<ToolSpecification> tools = p.toolSpecifications() == null || p.toolChoice() == ToolChoice.NONE ? List.of() : p.toolSpecifications();
        ChunkKvConfig compression = p instanceof ChunkKvChatRequestParameters c && c.kvCompression() != null ? c.kvCompression() : ChunkKvConfig.full();
        return new GenerationRequest(request.messages(), tools, options, compression);
    }

    /** This request, once {@code renderer} confirmed it can render its messages and tools (else it throws). */
    GenerationRequest requireRenderableBy(PromptRenderer renderer) {
        renderer.requireRenderable(messages, tools);
        return this;
    }

    /** The same request with a generation time limit (null: none). */
    GenerationRequest withTimeLimit(Duration timeLimit) {
        return new GenerationRequest(messages, tools, options.withTimeLimit(timeLimit), compression);
    }

    /** Unset parameters sample greedily, without top-p/top-k cut, penalty or seed. */
    private static SamplingOptions sampling(ChatRequestParameters p) {
        SamplingOptions sampling = SamplingOptions.temperature(p.temperature() == null ? 0f : p.temperature().floatValue());
        if (p.topP() != null) sampling = sampling.withTopP(p.topP().floatValue());
        if (p.topK() != null) sampling = sampling.withTopK(p.topK());
        if (p instanceof ChunkKvChatRequestParameters c) {
            if (c.seed() != null) sampling = sampling.withSeed(c.seed());
            if (c.repetitionPenalty() != null) sampling = sampling.withRepetitionPenalty(c.repetitionPenalty().floatValue());
        }
        return sampling;
    }

    private static void unsupported(Object value, String name) {
        if (value != null) throw new UnsupportedFeatureException(name + " is not supported by the Jlama chat models");
    }
}
