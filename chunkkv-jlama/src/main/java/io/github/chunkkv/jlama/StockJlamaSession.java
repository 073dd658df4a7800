package io.github.chunkkv.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Stock Jlama driven step by step: its own attention, its own paged KvBuffer, greedy sampling with its own sampler.
 * This is the baseline every comparison runs against (the benchmark, the parity tests): it does exactly the work of
 * Jlama's {@code generate()} minus tokenization, on a KvBuffer of its own, so the model stays free for other users.
 * Each step holds the model's {@link ModelLock}, so it can run beside ChunkKV wrappers of the same model.
 */
public final class StockJlamaSession implements AutoCloseable {
    private final AbstractModel model;
    private final ReentrantLock lock;
    private final KvBufferCache.KvBuffer kv;
    private final AbstractTensor logits;
    private int position;

    /** A session on {@code model} with an empty KvBuffer of its own, at position 0; the model stays the caller's. */
    public StockJlamaSession(AbstractModel model) {
        this.model = model;
        this.lock = ModelLock.of(model);
        this.kv = JlamaInstaller.openStockKvBuffer(model);
        this.logits = model.makeDenseTensor(1, model.getConfig().vocabularySize);
    }

    /** Runs {@code tokens} at the next positions and returns the greedy next token. */
    public int prefill(int[] tokens) {
        return ModelLock.call(lock, () -> {
            try (AbstractTensor out = model.batchForward(tokens, position, kv)) {
                position += tokens.length;
                return model.sample(out.slice(out.shape().first() - 1), 0f, 0f, logits);
            }
        });
    }

    /** Runs {@code token} at the next position and returns the greedy next token. */
    public int decode(int token) {
        return ModelLock.call(lock, () -> {
            try (AbstractTensor out = model.forward(token, position, kv, Optional.empty())) {
                position++;
                return model.sample(out, 0f, 0f, logits);
            }
        });
    }

    /** The next-token logits of the last {@link #prefill} or {@link #decode} (a copy). */
    public float[] logits() {
        float[] r = new float[model.getConfig().vocabularySize];
        for (int i = 0; i < r.length; i++) r[i] = logits.get(0, i);
        return r;
    }

    /** Position of the next token. */
    public int position() {
        return position;
    }

    @Override
    public void close() {
        logits.close();
        kv.close();
    }
}
