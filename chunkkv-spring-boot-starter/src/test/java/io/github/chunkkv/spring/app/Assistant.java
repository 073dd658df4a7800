package io.github.chunkkv.spring.app;

import dev.langchain4j.service.spring.AiService;

/** An {@code @AiService} that langchain4j-spring implements on top of the auto-configured chat model. */
@AiService
public interface Assistant {
    /** The model's answer to {@code message}. */
    String chat(String message);
}
