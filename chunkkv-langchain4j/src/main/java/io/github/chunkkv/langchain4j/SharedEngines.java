package io.github.chunkkv.langchain4j;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.DType;
import io.github.chunkkv.jlama.ChunkKvJlama;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import dev.langchain4j.exception.ModelNotFoundException;
import io.github.chunkkv.store.KvCacheStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * Loads each model folder once per JVM: chat models built for the same folder, working types, runtime quantization,
 * session-cache size and store share one {@link JlamaEngine} (weights and sessions), which is closed when the last of
 * them is closed. The registry's lock is the outermost of the adapter and is never held while an engine runs or
 * closes; a model is loaded under it, so two builds of one folder load it once.
 */
final class SharedEngines {
    /** {@code store} compares by identity: models given the same store object share an engine. */
    private record Key(Path folder, DType workingMemoryType, DType workingQuantizedType, boolean quantizeAtRuntime, int maxSessions,
            KvCacheStore store) {}

    private static final class Entry {
        final JlamaEngine engine;
        int users;

        Entry(JlamaEngine engine) {
            this.engine = engine;
        }
    }

    private static final Map<Key, Entry> ENGINES = new HashMap<>();

    private SharedEngines() {}

    static synchronized JlamaEngine acquire(Path folder, DType workingMemoryType, DType workingQuantizedType, boolean quantizeAtRuntime,
            int maxSessions, KvCacheStore store, Logger storeLog) {
        checkModelFolder(folder);
        Key key = new Key(realPath(folder), workingMemoryType, workingQuantizedType, quantizeAtRuntime, maxSessions, store);
        Entry entry = ENGINES.get(key);
        if (entry == null) {
            entry = new Entry(load(key, storeLog));
            ENGINES.put(key, entry);
        }
        entry.users++;
        return entry.engine;
    }

    private static JlamaEngine load(Key key, Logger storeLog) {
        // A working folder of the engine's own, deleted when it closes: left to itself, Jlama makes one per loaded
        // model in the temp directory and removes it only when the JVM exits.
        Path workingDir = createWorkingDir();
        AbstractModel model;
        try {
            model = ChunkKvJlama.loadJlamaModel(key.folder(), workingDir, key.workingMemoryType(), key.workingQuantizedType(),
                    key.quantizeAtRuntime());
        } catch (RuntimeException | Error e) {
            JlamaEngine.deleteWorkingDir(workingDir);
            throw e;
        }
        try {
            return new JlamaEngine(model, key.maxSessions(), workingDir, key.store(), storeLog);
        } catch (RuntimeException e) {
            model.close(); // e.g. an architecture ChunkKV refuses: do not keep the weights mapped
            JlamaEngine.deleteWorkingDir(workingDir);
            throw e;
        }
    }

    private static Path createWorkingDir() {
        try {
            return Files.createTempDirectory("chunkkv-jlama-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Jlama's working folder in " + System.getProperty("java.io.tmpdir"), e);
        }
    }

    /**
     * Gives up one claim on {@code engine}; the last one closes it, after leaving the registry's lock, so closing
     * (which waits for a model step in progress) never blocks models being built or closed elsewhere.
     */
    static void release(JlamaEngine engine) {
        if (unregisterLastUser(engine)) engine.close();
    }

    private static synchronized boolean unregisterLastUser(JlamaEngine engine) {
        var it = ENGINES.values().iterator();
        while (it.hasNext()) {
            Entry entry = it.next();
            if (entry.engine == engine && --entry.users == 0) {
                it.remove();
                return true;
            }
        }
        return false;
    }

    /**
     * Jlama's worker pool is JVM-wide and sized once, when first used: the first model built fixes the thread count,
     * and a later, different request is refused rather than silently ignored.
     */
    static synchronized void applyThreadCount(int threadCount) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (threadCount < 1 || threadCount > cores) {
            throw new IllegalArgumentException("threadCount must be in [1, " + cores + "] (available processors), got " + threadCount);
        }
        try {
            PhysicalCoreExecutor.overrideThreadCount(threadCount);
        } catch (IllegalStateException alreadyStarted) {
            int current = PhysicalCoreExecutor.instance.get().getCoreCount();
            if (current != threadCount) {
                throw new IllegalStateException("threadCount is JVM-wide in Jlama and already fixed at " + current
                        + " by an earlier model; cannot change it to " + threadCount);
            }
        }
    }

    /** An unknown model folder is a {@link ModelNotFoundException}, thrown before anything is loaded. */
    private static void checkModelFolder(Path folder) {
        if (folder == null || !Files.isDirectory(folder)) {
            throw new ModelNotFoundException("modelPath must be a Jlama model folder (config.json, tokenizer.json, *.safetensors); "
                    + folder + " is not a directory");
        }
        for (String required : new String[] {"config.json", "tokenizer.json"}) {
            if (!Files.isRegularFile(folder.resolve(required))) {
                throw new ModelNotFoundException("modelPath " + folder + " is not a Jlama model folder: " + required + " is missing");
            }
        }
    }

    private static Path realPath(Path folder) {
        try {
            return folder.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve model folder " + folder, e);
        }
    }
}
