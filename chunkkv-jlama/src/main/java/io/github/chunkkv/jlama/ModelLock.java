package io.github.chunkkv.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The one lock of a loaded Jlama model. Jlama's transformer blocks keep scratch buffers (the MLP's among them) that
 * every forward pass writes, and ChunkKV's twin blocks share them with the stock blocks, so a model must never run
 * two forward passes at once, whoever asks: every {@link ChunkKvModel} wrapping it, every {@link StockJlamaSession} on
 * it and the LangChain4j adapter take this lock, one model step at a time. Code that calls Jlama's own
 * {@code generate} or {@code forward} beside them should hold it too.
 *
 * <p>It is the innermost lock of the project: nothing is locked and no caller-supplied code runs while it is held.
 * Waiting for it can be interrupted; the waiter then gets a {@link CancellationException} with its interrupt status
 * set again.
 */
public final class ModelLock {
    // Weak keys: a model that is no longer referenced takes its lock along. AbstractModel keeps Object's identity equals.
    private static final Map<AbstractModel, ReentrantLock> LOCKS = Collections.synchronizedMap(new WeakHashMap<>());

    private ModelLock() {}

    /** The lock of {@code model}: the same instance for every caller in this JVM. */
    public static ReentrantLock of(AbstractModel model) {
        Objects.requireNonNull(model, "model");
        return LOCKS.computeIfAbsent(model, m -> new ReentrantLock());
    }

    /**
     * Runs {@code step} holding {@code lock}.
     *
     * @throws CancellationException when the thread is interrupted before or while waiting (nothing has run)
     */
    static <T> T call(ReentrantLock lock, Supplier<T> step) {
        lockInterruptibly(lock);
        try {
            return step.get();
        } finally {
            lock.unlock();
        }
    }

    /** As {@link #call}, for a step without a result. */
    static void run(ReentrantLock lock, Runnable step) {
        call(lock, () -> {
            step.run();
            return null;
        });
    }

    private static void lockInterruptibly(ReentrantLock lock) {
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the Jlama model");
        }
    }
}
