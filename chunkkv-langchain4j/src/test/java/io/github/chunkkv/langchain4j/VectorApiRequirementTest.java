package io.github.chunkkv.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.VectorApiCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM started without the Vector API module gets one clear exception from both APIs, naming the option to add. The
 * check runs in a child JVM started from this test's classpath without {@code --add-modules jdk.incubator.vector}.
 */
class VectorApiRequirementTest {
    /** The child JVM's main: tries both entry points on a real model folder and prints what each threw. */
    public static void main(String[] args) {
        Path folder = Path.of(args[0]);
        try {
            ChunkKvJlama.loadJlamaModel(folder);
            System.out.println("jlama: loaded");
        } catch (RuntimeException | Error e) {
            System.out.println("jlama: " + e);
        }
        try (ChunkKvJlamaChatModel model = ChunkKvJlamaChatModel.builder().modelPath(folder).build()) {
            System.out.println("langchain4j: built " + model.provider());
        } catch (RuntimeException | Error e) {
            System.out.println("langchain4j: " + e);
        }
    }

    @Test
    void bothEntryPointsNameTheMissingJvmOption(@TempDir Path dir) throws IOException, InterruptedException {
        assertTrue(VectorApiCheck.available(), "the tests themselves run with " + VectorApiCheck.JVM_OPTION);
        Path folder = TinyChatModels.llama(dir);
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                VectorApiRequirementTest.class.getName(), folder.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM ends");
        assertEquals(0, child.exitValue(), output);
        for (String api : List.of("jlama: ", "langchain4j: ")) {
            String line = output.lines().filter(l -> l.startsWith(api)).findFirst().orElseThrow(() -> new AssertionError(output));
            assertTrue(line.startsWith(api + "java.lang.IllegalStateException") && line.contains("--add-modules jdk.incubator.vector"), line);
        }
    }
}
