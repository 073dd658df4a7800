package io.github.chunkkv.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.github.chunkkv.jlama.CompressionStats;
import java.util.List;
import java.util.UUID;

/**
 * What one generation produced and what it cost; turned into the LangChain4j response by {@link #toChatResponse}.
 *
 * @param promptTokens the whole prompt, reused prefix included
 * @param reusedTokens leading prompt tokens served from an earlier request's cache
 * @param outputTokens sampled tokens, end-of-sequence excluded
 * @param stats the prefill's compression statistics (of the new tokens only)
 */
record Generation(UUID sessionId, String text, List<ToolExecutionRequest> toolCalls, FinishReason finishReason,
        int promptTokens, int reusedTokens, int outputTokens, CompressionStats stats, String policy, long decodeNanos) {

    ChatResponse toChatResponse(String modelName) {
        AiMessage message = toolCalls.isEmpty() ? AiMessage.from(text) : AiMessage.from(toolCalls);
        return ChatResponse.builder()
                .aiMessage(message)
                .metadata(ChunkKvChatResponseMetadata.builder()
                        .id(sessionId.toString())
                        .modelName(modelName)
                        .tokenUsage(new TokenUsage(promptTokens, outputTokens))
                        .finishReason(finishReason)
                        .promptTokens(promptTokens)
                        .reusedTokens(reusedTokens)
                        .keptTokens(stats.keptMean())
                        .kvBytesBefore(stats.kvBytesBefore())
                        .kvBytesAfter(stats.kvBytesAfter())
                        .prefillMillis(stats.prefillNanos() / 1e6)
                        .compressMillis(stats.compressNanos() / 1e6)
                        .decodeMillis(decodeNanos / 1e6)
                        .policy(policy)
                        .build())
                .build();
    }
}
