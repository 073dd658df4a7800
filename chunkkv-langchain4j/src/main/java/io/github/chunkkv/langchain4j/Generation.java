package io.github.chunkkv.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.github.chunkkv.jlama.CompressionStats;
import io.github.chunkkv.jlama.GenerationResult;
import io.github.chunkkv.jlama.RecallStats;
import io.github.chunkkv.jlama.WorkingTypes;
import java.util.List;
import java.util.UUID;

/**
 * What one chat request produced; turned into the LangChain4j response by {@link #toChatResponse}.
 *
 * @param result the generation, whose prompt is only what was prefilled (the tokens after the reused prefix)
 * @param text the reply's text for the AiMessage (see {@link ReplyText})
 * @param toolCalls the reply parsed as tool calls; empty when it is text
 * @param promptTokens the whole prompt, reused prefix included
 * @param reusedTokens leading prompt tokens served from an earlier request's cache
 * @param workingTypes the types the model runs with, as Jlama resolved them
 * @param recall the session's tiers after its last re-selection; null without recall or cap
 */
record Generation(UUID sessionId, GenerationResult result, String text, List<ToolExecutionRequest> toolCalls, int promptTokens,
        int reusedTokens, String policy, WorkingTypes workingTypes, RecallStats recall) {

    ChatResponse toChatResponse(String modelName) {
        AiMessage message = toolCalls.isEmpty() ? AiMessage.from(text) : AiMessage.from(toolCalls);
        CompressionStats stats = result.stats();
        return ChatResponse.builder()
                .aiMessage(message)
                .metadata(ChunkKvChatResponseMetadata.builder()
                        .id(sessionId.toString())
                        .modelName(modelName)
                        .tokenUsage(new TokenUsage(promptTokens, result.generatedTokens()))
                        .finishReason(finishReason())
                        .promptTokens(promptTokens)
                        .reusedTokens(reusedTokens)
                        .keptTokens(stats.keptMean())
                        .kvBytesBefore(stats.kvBytesBefore())
                        .kvBytesAfter(stats.kvBytesAfter())
                        .kvBytesAllocated(result.kvAllocatedBytes())
                        .prefillMillis(stats.prefillNanos() / 1e6)
                        .compressMillis(stats.compressNanos() / 1e6)
                        .decodeMillis(result.decodeNanos() / 1e6)
                        .policy(policy)
                        .workingMemoryType(workingTypes.workingMemory().name())
                        .workingQuantizedType(workingTypes.workingQuantized().name())
                        .recall(recall)
                        .build())
                .build();
    }

    private FinishReason finishReason() {
        if (!toolCalls.isEmpty()) return FinishReason.TOOL_EXECUTION;
        return switch (result.stopReason()) {
            case END_OF_SEQUENCE, STOP_SEQUENCE -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_FULL, TIME_LIMIT -> FinishReason.LENGTH;
            case INTERRUPTED -> FinishReason.OTHER; // the generating thread was interrupted: the reply is cut short
        };
    }
}
