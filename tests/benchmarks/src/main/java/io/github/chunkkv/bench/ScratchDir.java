package io.github.chunkkv.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The benchmark's own temporary folder, deleted on close and also when the JVM is stopped early (Ctrl-C, SIGTERM), so
 * neither a several-hundred-MB random model nor stock Jlama's {@code .page} files (its paged KV cache, written to
 * {@link #jlamaWorkingDir()}) stay behind in the temp directory.
 */
final class ScratchDir implements AutoCloseable {
    private static final int MAX_DELETE_ATTEMPTS = 100;

    private final Path path;
    private final Thread onShutdown;

    private ScratchDir(Path path) {
        this.path = path;
        this.onShutdown = new Thread(this::delete, "delete " + path);
        Runtime.getRuntime().addShutdownHook(onShutdown);
    }

    static ScratchDir create(String prefix) throws IOException {
        return new ScratchDir(Files.createTempDirectory(prefix));
    }

    Path path() {
        return path;
    }

    /** Where the benchmark's Jlama model keeps its working files. */
    Path jlamaWorkingDir() {
        return path.resolve("jlama");
    }

    @Override
    public void close() {
        delete();
        try {
            Runtime.getRuntime().removeShutdownHook(onShutdown);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: it deletes the same folder
        }
    }

    private void delete() {
        // During shutdown the benchmark thread still runs and may add a page file after the walk: walk again.
        for (int attempt = 1; ; attempt++) {
            try (Stream<Path> paths = Files.walk(path)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                return;
            } catch (NoSuchFileException gone) {
                return; // already deleted
            } catch (DirectoryNotEmptyException filledMeanwhile) {
                if (attempt == MAX_DELETE_ATTEMPTS) throw new UncheckedIOException("cannot delete the temporary folder " + path, filledMeanwhile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete the temporary folder " + path, e);
            }
        }
    }
}
