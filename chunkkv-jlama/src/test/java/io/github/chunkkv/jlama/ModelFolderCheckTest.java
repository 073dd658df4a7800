package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.chunkkv.testing.TinyModels;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken model folders are refused before Jlama opens them, naming the file, the field and what was expected. */
class ModelFolderCheckTest {
    @TempDir
    Path dir;

    @Test
    void aConsistentFolderPassesAndLoads() {
        Path folder = TinyModels.write(TinyModels.llama(), dir.resolve("ok"));
        ModelFolderCheck.verify(folder);
        ChunkKvJlama.loadJlamaModel(folder).close();
    }

    @Test
    void vocabSizeAboveTheEmbeddingRowsIsRefusedInsteadOfCrashingTheJvm() {
        Path folder = withConfig(c -> c.put("vocab_size", TinyModels.llama().vocab() + 22));
        ModelFolderException e = assertThrows(ModelFolderException.class, () -> ChunkKvJlama.loadJlamaModel(folder));
        assertEquals(folder.resolve("config.json"), e.file());
        assertTrue(e.getMessage().contains("vocab_size") && e.getMessage().contains("model.embed_tokens.weight")
                && e.getMessage().contains("expected at least " + (TinyModels.llama().vocab() + 22)), e.getMessage());
    }

    @Test
    void hiddenSizeMismatchNamesTheFieldAndTheTensor() {
        Path folder = withConfig(c -> c.put("hidden_size", 256));
        ModelFolderException e = assertThrows(ModelFolderException.class, () -> ModelFolderCheck.verify(folder));
        assertTrue(e.getMessage().contains("hidden_size is 256") && e.getMessage().contains("expected 256 columns"), e.getMessage());
    }

    @Test
    void keyValueHeadsMustBePositiveAndDivideTheHeads() {
        ModelFolderException zero = assertThrows(ModelFolderException.class,
                () -> ModelFolderCheck.verify(withConfig(c -> c.put("num_key_value_heads", 0))));
        assertTrue(zero.getMessage().contains("num_key_value_heads must be an integer >= 1, got 0"), zero.getMessage());
        ModelFolderException three = assertThrows(ModelFolderException.class,
                () -> ModelFolderCheck.verify(withConfig(c -> c.put("num_key_value_heads", 3))));
        assertTrue(three.getMessage().contains("num_key_value_heads is 3; it must divide num_attention_heads (8)"), three.getMessage());
    }

    @Test
    void kvHeadsThatDivideButDisagreeWithTheWeightsAreRefused() {
        ModelFolderException e = assertThrows(ModelFolderException.class,
                () -> ModelFolderCheck.verify(withConfig(c -> c.put("num_key_value_heads", 2))));
        assertTrue(e.getMessage().contains("num_key_value_heads") && e.getMessage().contains("k_proj"), e.getMessage());
    }

    @Test
    void truncatedWeightsNameTheFileAndTheTensorThatIsCut() throws IOException {
        Path weights = weightsCut("cut", size -> size - 1000), folder = weights.getParent();
        ModelFolderException e = assertThrows(ModelFolderException.class, () -> ChunkKvJlama.loadJlamaModel(folder));
        assertEquals(weights, e.file());
        assertTrue(e.getMessage().contains("cut short") && e.getMessage().contains("lm_head.weight"), e.getMessage());
    }

    @Test
    void aHeaderCutInTheMiddleOrGarbageIsNotSafetensors() throws IOException {
        Path weights = weightsCut("header", size -> 100), folder = weights.getParent();
        ModelFolderException cut = assertThrows(ModelFolderException.class, () -> ModelFolderCheck.verify(folder));
        assertTrue(cut.getMessage().contains("header length"), cut.getMessage());

        Files.write(weights, "this is not a safetensors file at all, just some text".getBytes());
        ModelFolderException garbage = assertThrows(ModelFolderException.class, () -> ModelFolderCheck.verify(folder));
        assertEquals(weights, garbage.file());
        assertTrue(garbage.getMessage().contains("not safetensors"), garbage.getMessage());
    }

    @Test
    void missingLayersAndMissingConfigAreNamed() throws IOException {
        ModelFolderException layers = assertThrows(ModelFolderException.class,
                () -> ModelFolderCheck.verify(withConfig(c -> c.put("num_hidden_layers", 5))));
        assertTrue(layers.getMessage().contains("num_hidden_layers is 5") && layers.getMessage().contains("model.layers.4."), layers.getMessage());

        Path folder = TinyModels.write(TinyModels.llama(), dir.resolve("noconfig"));
        Files.delete(folder.resolve("config.json"));
        ModelFolderException config = assertThrows(ModelFolderException.class, () -> ModelFolderCheck.verify(folder));
        assertTrue(config.getMessage().contains("config.json: missing"), config.getMessage());
    }

    /** A tiny model folder whose model.safetensors is cut to {@code newSize(size)} bytes; returns that file. */
    private Path weightsCut(String name, LongUnaryOperator newSize) throws IOException {
        Path weights = TinyModels.write(TinyModels.llama(), dir.resolve(name)).resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            ch.truncate(newSize.applyAsLong(ch.size()));
        }
        return weights;
    }

    private Path withConfig(Consumer<ObjectNode> edit) {
        return TinyModels.editConfig(TinyModels.write(TinyModels.llama(), dir.resolve("m" + System.nanoTime())), edit);
    }
}
