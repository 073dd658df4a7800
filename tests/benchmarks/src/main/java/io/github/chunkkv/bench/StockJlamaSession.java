package io.github.chunkkv.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.lang.reflect.Field;
import java.util.Optional;
import java.util.UUID;

/**
 * Stock Jlama driven step by step: its own attention and its own paged KvBuffer, greedy sampling with its own sampler.
 * This is the baseline the benchmark compares against; it does exactly the work of Jlama's {@code generate()} minus
 * tokenization. Jlama exposes no way to open a KvBuffer, so this is the one place that reads its private cache.
 */
final class StockJlamaSession implements AutoCloseable {
    private final AbstractModel model;
    private final KvBufferCache.KvBuffer kv;
    private final AbstractTensor logits;

    StockJlamaSession(AbstractModel model) {
        this.model = model;
        // getKvBuffer(UUID), not getEphemeralKvBuffer(): the ephemeral buffer has a paging bug in 0.8.4.
        this.kv = kvBufferCache(model).getKvBuffer(UUID.randomUUID());
        this.logits = model.makeDenseTensor(model.getConfig().vocabularySize);
    }

    /** Prefills {@code tokens} at positions [0, n) and returns the greedy next token. */
    int prefill(int[] tokens) {
        try (AbstractTensor out = model.batchForward(tokens, 0, kv)) {
            return model.sample(out.slice(out.shape().first() - 1), 0f, 0f, logits);
        }
    }

    /** Runs {@code token} at {@code position} and returns the greedy next token; earlier positions must be filled. */
    int decode(int token, int position) {
        try (AbstractTensor out = model.forward(token, position, kv, Optional.empty())) {
            return model.sample(out, 0f, 0f, logits);
        }
    }

    @Override
    public void close() {
        logits.close();
        kv.close();
    }

    private static KvBufferCache kvBufferCache(AbstractModel model) {
        try {
            Field f = AbstractModel.class.getDeclaredField("kvBufferCache");
            f.setAccessible(true);
            return (KvBufferCache) f.get(model);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("This Jlama version is not 0.8.4: cannot read AbstractModel.kvBufferCache", e);
        }
    }
}
