package io.github.chunkkv.testing;

import com.github.tjake.jlama.model.AbstractModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One tiny model shared by all tests of a class: register it as a static {@code @RegisterExtension} field. Before the
 * class's {@code @BeforeAll} methods it writes the model into a fresh temporary folder and loads it; after the class's
 * {@code @AfterAll} methods it closes the model and deletes the folder.
 */
public final class TinyModelExtension implements BeforeAllCallback, AfterAllCallback {
    private final TinyModels.Spec spec;
    private Path folder;
    private AbstractModel model;

    /** A fixture for a model of shape {@code spec}; nothing is written before the test class starts. */
    public TinyModelExtension(TinyModels.Spec spec) {
        this.spec = spec;
    }

    /** The loaded model; only between the class's first and last callback. */
    public AbstractModel model() {
        if (model == null) throw new IllegalStateException("the tiny model is loaded only while its test class runs");
        return model;
    }

    /** The model folder, F32 weights (load it again for a second, independent Jlama model). */
    public Path folder() {
        if (folder == null) throw new IllegalStateException("the tiny model is written only while its test class runs");
        return folder;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        folder = Files.createTempDirectory("tiny-" + spec.modelType() + "-");
        model = TinyModels.load(TinyModels.write(spec, folder));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            if (model != null) model.close();
        } finally {
            model = null;
            if (folder != null) deleteTree(folder);
            folder = null;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p); // children before parents
        }
    }
}
