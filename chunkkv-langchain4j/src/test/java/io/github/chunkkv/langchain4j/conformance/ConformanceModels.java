package io.github.chunkkv.langchain4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import io.github.chunkkv.langchain4j.ChunkKvChatRequestParameters;
import io.github.chunkkv.langchain4j.ChunkKvJlamaChatModel;
import io.github.chunkkv.langchain4j.ChunkKvJlamaModelBuilder;
import io.github.chunkkv.langchain4j.ChunkKvJlamaStreamingChatModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;

/**
 * The models LangChain4j's conformance suites run on: {@code models/needle-lm} by default, or any Jlama model folder
 * given as {@code -Dchunkkv.it.model=DIR} (then the tests in {@link NeedsGeneralLlm} run too). Every model a suite
 * builds is recorded so that the suite can close them all.
 */
final class ConformanceModels implements AutoCloseable {
    static final String REAL_MODEL_PROPERTY = "chunkkv.it.model";
    /**
     * The compression flags every suite runs with: the full cache and a one-shot ChunkKV spec (recall named off, since
     * the models default to recall=ram; with it, needle-lm's second turn in the cancellation contract runs on after
     * the value because the re-selected hot rows miss the needle's closing period).
     */
    static final String FULL = "full";
    static final String CHUNKKV = "chunkkv:keep=0.5,recall=off";
    /** Bounds replies of prompts a small model might never end; the suites' own limits override it. */
    private static final int DEFAULT_MAX_OUTPUT_TOKENS = 64;

    private final String compression;
    private final List<AutoCloseable> built = new ArrayList<>();

    ConformanceModels(String compression) {
        this.compression = compression;
    }

    /** The folder given with {@code -Dchunkkv.it.model}, if any. */
    static Optional<Path> realModel() {
        String dir = System.getProperty(REAL_MODEL_PROPERTY);
        return dir == null || dir.isBlank() ? Optional.empty() : Optional.of(Path.of(dir));
    }

    static Path folder() {
        return realModel().orElseGet(() -> Path.of(System.getProperty("chunkkv.repo.dir", "."), "models", "needle-lm"));
    }

    /** The name the models report: the folder's name. */
    static String modelName() {
        return folder().toAbsolutePath().normalize().getFileName().toString();
    }

    /** Whether the folder's chat template renders tools (what the adapter's tool support depends on). */
    static boolean templateSupportsTools() {
        try {
            JsonNode template = new ObjectMapper().readTree(folder().resolve("tokenizer_config.json").toFile()).path("chat_template");
            return template.asText("").contains("tools");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ChunkKvJlamaChatModel chatModel(ChatRequestParameters defaults) {
        return record(configure(ChunkKvJlamaChatModel.builder(), defaults).build());
    }

    /** A blocking model with the suites' defaults and what one test adds with {@code tune} (listeners, a folder, limits). */
    ChunkKvJlamaChatModel chatModel(UnaryOperator<ChunkKvJlamaChatModel.Builder> tune) {
        return record(tune.apply(configure(ChunkKvJlamaChatModel.builder(), DefaultChatRequestParameters.EMPTY)).build());
    }

    ChunkKvJlamaStreamingChatModel streamingModel(ChatRequestParameters defaults) {
        return record(configure(ChunkKvJlamaStreamingChatModel.builder(), defaults).build());
    }

    /** A streaming model with the suites' defaults and what one test adds with {@code tune}. */
    ChunkKvJlamaStreamingChatModel streamingModel(UnaryOperator<ChunkKvJlamaStreamingChatModel.Builder> tune) {
        return record(tune.apply(configure(ChunkKvJlamaStreamingChatModel.builder(), DefaultChatRequestParameters.EMPTY)).build());
    }

    /** Request parameters of the adapter's own type: {@code maxOutputTokens} and this instance's compression flag. */
    ChatRequestParameters integrationSpecificParameters(int maxOutputTokens) {
        return ChunkKvChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).kvCompression(compression).build();
    }

    private <B extends ChunkKvJlamaModelBuilder<B>> B configure(B builder, ChatRequestParameters defaults) {
        return builder.modelPath(folder())
                .kvCompression(compression)
                .defaultRequestParameters(ChatRequestParameters.builder().maxOutputTokens(DEFAULT_MAX_OUTPUT_TOKENS).build()
                        .overrideWith(defaults));
    }

    private <M extends AutoCloseable> M record(M model) {
        built.add(model);
        return model;
    }

    /**
     * A copy of the model folder whose context holds only 8 tokens, so that every chat fails at run time (the prompt
     * does not fit) after passing validation: what the listener suites' failing model needs.
     */
    static Path tinyContextCopy(Path dir) {
        try {
            Path copy = Files.createDirectories(dir.resolve(modelName()));
            try (var files = Files.list(folder())) {
                for (Path f : files.toList()) {
                    if (!f.getFileName().toString().equals("config.json")) Files.createSymbolicLink(copy.resolve(f.getFileName()), f.toAbsolutePath());
                }
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode config = (ObjectNode) json.readTree(folder().resolve("config.json").toFile());
            config.put("max_position_embeddings", 8);
            json.writeValue(copy.resolve("config.json").toFile(), config);
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A small PNG file, as a {@code file:} URL: the image suites read it instead of downloading one. */
    static String imageUrl(Path dir) {
        try {
            Path png = dir.resolve("image.png");
            ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", png.toFile());
            return png.toUri().toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable model : built) model.close();
        built.clear();
    }
}
