package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.safetensors.DType;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A loaded model's files go when its last chat model is closed, not when the JVM exits. */
class SharedEnginesTest {
    @TempDir
    Path dir;

    @Test
    void jlamasWorkingFolderIsTheEnginesOwnAndDeletedOnClose() {
        // Left to itself Jlama made a temp folder per loaded model and deleted it only at JVM exit.
        JlamaEngine engine = SharedEngines.acquire(TinyChatModels.llama(dir), DType.F32, DType.F32, false, 4, null, null);
        Path working = engine.jlamaModel().getConfig().workingDirectory().map(File::toPath).orElseThrow();
        assertTrue(working.getFileName().toString().startsWith("chunkkv-jlama-") && Files.isDirectory(working), working.toString());
        SharedEngines.release(engine);
        assertFalse(Files.exists(working), working + " is left behind");
    }
}
