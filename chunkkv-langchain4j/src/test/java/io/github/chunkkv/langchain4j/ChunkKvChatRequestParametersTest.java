package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.doReturn;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import io.github.chunkkv.config.ChunkKvConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkKvChatRequestParametersTest {
    private final ChunkKvChatRequestParameters defaults = ChunkKvChatRequestParameters.builder()
            .temperature(0.7).maxOutputTokens(100).kvCompression("chunkkv:keep=0.1").build();

    @Test
    void overrideWithLetsTheRequestWinFieldByField() {
        ChunkKvChatRequestParameters merged = defaults.overrideWith(ChunkKvChatRequestParameters.builder()
                .temperature(0.0).kvCompression(ChunkKvConfig.parse("snapkv:keep=0.2")).build());
        assertEquals(0.0, merged.temperature());
        assertEquals(100, merged.maxOutputTokens());
        assertEquals(ChunkKvConfig.parse("snapkv:keep=0.2"), merged.kvCompression());
    }

    @Test
    void aPlainRequestKeepsTheDefaultCompression() {
        ChatRequestParameters plain = DefaultChatRequestParameters.builder().stopSequences("\n").build();
        ChunkKvChatRequestParameters merged = defaults.overrideWith(plain);
        assertEquals(ChunkKvConfig.chunkKv(0.1), merged.kvCompression());
        assertEquals(List.of("\n"), merged.stopSequences());
        assertEquals(0.7, merged.temperature());
    }

    @Test
    void anyProvidersParametersMergeThroughTheCommonInterface() {
        // Unset values are null, as in every ChatRequestParameters implementation.
        ChatRequestParameters other = mock(ChatRequestParameters.class, invocation -> null);
        doReturn(5).when(other).maxOutputTokens();
        ChunkKvChatRequestParameters merged = defaults.overrideWith(other);
        assertEquals(5, merged.maxOutputTokens());
        assertEquals(0.7, merged.temperature());
        assertEquals(ChunkKvConfig.chunkKv(0.1), merged.kvCompression());
    }

    @Test
    void defaultedByKeepsThisSidesValues() {
        ChunkKvChatRequestParameters request = ChunkKvChatRequestParameters.builder().temperature(0.2).build();
        ChunkKvChatRequestParameters merged = request.defaultedBy(defaults);
        assertEquals(0.2, merged.temperature());
        assertEquals(100, merged.maxOutputTokens());
        assertEquals(ChunkKvConfig.chunkKv(0.1), merged.kvCompression());
        assertNull(ChunkKvChatRequestParameters.builder().build().kvCompression());
        assertInstanceOf(ChunkKvChatRequestParameters.class, ChunkKvChatRequestParameters.builder().build().overrideWith(request));
    }

    @Test
    void equalityIncludesTheCompression() {
        assertEquals(defaults, ChunkKvChatRequestParameters.builder().overrideWith(defaults).build());
        assertNotEquals(defaults, defaults.overrideWith(
                ChunkKvChatRequestParameters.builder().kvCompression(ChunkKvConfig.full()).build()));
    }
}
