package io.github.chunkkv.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.slf4j.Logger;

/**
 * The {@code logRequests}/{@code logResponses} options of the chat models. Remote providers log their HTTP exchange;
 * an in-process model has none, so this logs what would be in it: the request with its merged parameters, and the
 * response with its metadata.
 */
record ExchangeLog(Logger logger, boolean requests, boolean responses) {
    void request(ChatRequest request) {
        if (requests) logger.info("request: {}", request);
    }

    void response(ChatResponse response) {
        if (responses) logger.info("response: {}", response);
    }
}
