package io.github.chunkkv.langchain4j.conformance;

import java.util.Map;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The conformance tests that need a general-purpose LLM, because they assert what the answer says. needle-lm only
 * copies values out of its context, so they run only when a real model folder is given with
 * {@code -Dchunkkv.it.model=DIR}; what they check besides the answer is covered on needle-lm by this project's own
 * tests (metadata, stop sequences, callback exceptions).
 */
public final class NeedsGeneralLlm implements ExecutionCondition {
    /** Test method name (in LangChain4j's suites) to the reason it needs a general-purpose LLM. */
    static final Map<String, String> TESTS = Map.of(
            "should_respect_user_message", "asserts that the answer to 'What is the capital of Germany?' contains 'Berlin'",
            "should_respect_system_message", "asserts that a translation into German contains 'liebe'",
            "should_respect_stopSequences_in_chat_request", "asserts that the answer to \"Say 'Hello World'\" contains 'Hello'",
            "should_respect_stopSequences_in_default_model_parameters", "asserts that the answer to \"Say 'Hello World'\" contains 'Hello'",
            "should_propagate_user_exceptions_thrown_from_onPartialResponse", "asserts that the streamed answer contains 'Berlin'",
            "should_propagate_user_exceptions_thrown_from_onCompleteResponse", "asserts that the streamed answer contains 'Berlin'",
            "should_ignore_user_exceptions_thrown_from_onError", "asserts that the streamed answer contains 'Berlin'");

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String reason = context.getTestMethod().map(m -> TESTS.get(m.getName())).orElse(null);
        if (reason == null) return ConditionEvaluationResult.enabled("answerable by any model");
        return ConformanceModels.realModel().isPresent()
                ? ConditionEvaluationResult.enabled("a real model is given")
                : ConditionEvaluationResult.disabled("needs a general-purpose LLM (-D" + ConformanceModels.REAL_MODEL_PROPERTY
                        + "=DIR): " + reason);
    }
}
