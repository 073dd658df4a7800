/** Service-provider interfaces: factories that supply the chat models' builders. */
package io.github.chunkkv.langchain4j.spi;
