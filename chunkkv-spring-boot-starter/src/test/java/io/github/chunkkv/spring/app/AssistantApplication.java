package io.github.chunkkv.spring.app;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.context.annotation.Configuration;

/** The application whose package langchain4j-spring scans for {@code @AiService} interfaces. */
@Configuration
@AutoConfigurationPackage
public class AssistantApplication {}
