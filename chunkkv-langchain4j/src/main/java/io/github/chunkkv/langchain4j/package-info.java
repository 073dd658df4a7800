/**
 * LangChain4j 1.x chat models running Jlama in-process with a compressed KV cache (ChunkKV and its peers).
 *
 * <ul>
 *   <li>{@link io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel} and
 *       {@link io.github.chunkkv.langchain4j.ChunkKvJlamaStreamingChatModel}: built with
 *       {@code .modelPath(folder)} (offline) or {@code .modelName("owner/name")} (downloaded from the Hugging Face
 *       hub, resumable and checksummed), and
 *       {@code .kvCompression(0.1)}, {@code .kvCompression(ChunkKvConfig)} or {@code .kvCompression("snapkv:keep=0.2")};
 *       without it the cache is full. {@link io.github.chunkkv.langchain4j.ChunkKvChatRequestParameters} overrides the
 *       compression per request. Both models built for one folder share the loaded weights and the session cache.</li>
 *   <li>Session reuse: a request whose prompt tokens extend an earlier request's (a chat memory re-sending the history)
 *       continues that conversation's compressed cache and prefills only the new tokens;
 *       {@link io.github.chunkkv.langchain4j.ChunkKvChatResponseMetadata#reusedTokens()} reports how many were reused.
 *       At keep ratio 1 reuse changes nothing: the reply equals a fresh prefill's.</li>
 *   <li>Prompts use the model's chat template (tokenizer_config.json) through Jlama's PromptSupport; a model without
 *       one gets {@code "role: content\n"} lines and a final {@code "assistant:"}.</li>
 *   <li>Errors: bad request parameters and prompts longer than the context are
 *       {@link dev.langchain4j.exception.InvalidRequestException}s naming the parameter or limit; unsupported features
 *       (tools without a tool-capable template, frequency/presence penalties, JSON response format, non-text content) are
 *       {@link dev.langchain4j.exception.UnsupportedFeatureException}s; a model folder that does not exist or lacks
 *       config.json / tokenizer.json, or a model name that is neither cached nor downloadable, is a
 *       {@link dev.langchain4j.exception.ModelNotFoundException}; invalid builder options are
 *       {@link java.lang.IllegalArgumentException}s thrown by {@code build()} before anything is loaded.</li>
 * </ul>
 */
package io.github.chunkkv.langchain4j;
