package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.TinyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Architectures whose attention the compressed path does not reproduce are refused, never run wrongly. */
class UnsupportedArchitectureTest {
    @TempDir
    Path dir;

    @Test
    void gemmaIsRefusedWithAClearMessage() {
        TinyModels.Spec llama = TinyModels.llama();
        TinyModels.Spec gemma = new TinyModels.Spec("gemma", llama.layers(), llama.dim(), llama.heads(), llama.kvHeads(),
                llama.hidden(), llama.context(), false, llama.seed());
        AbstractModel model = TinyModels.load(TinyModels.write(gemma, dir.resolve("gemma")));
        try {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> ChunkKvJlama.wrap(model, ChunkKvConfig.chunkKv(0.1)));
            assertTrue(e.getMessage().contains("GEMMA") && e.getMessage().contains("LLAMA"), e.getMessage());
        } finally {
            model.close();
        }
    }
}
