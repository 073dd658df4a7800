package io.github.chunkkv.testing;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.lang.reflect.Field;
import java.util.Optional;

/** Drives stock Jlama (its own attention and KvBuffer) step by step, to compare logits with the compressed path. */
public final class StockJlama implements AutoCloseable {
    private final AbstractModel model;
    private final KvBufferCache.KvBuffer kv;
    private int position;

    public StockJlama(AbstractModel model) {
        this.model = model;
        try {
            Field f = AbstractModel.class.getDeclaredField("kvBufferCache");
            f.setAccessible(true);
            this.kv = ((KvBufferCache) f.get(model)).getKvBuffer(java.util.UUID.randomUUID());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    public float[] prefill(int[] tokens) {
        float[] logits = logits(model.batchForward(tokens, position, kv));
        position += tokens.length;
        return logits;
    }

    public float[] decode(int token) {
        float[] logits = logits(model.forward(token, position, kv, Optional.empty()));
        position++;
        return logits;
    }

    private float[] logits(AbstractTensor out) {
        int vocab = model.getConfig().vocabularySize;
        try (out; AbstractTensor lt = model.makeDenseTensor(1, vocab)) {
            model.sample(out.slice(out.shape().first() - 1), 0f, 0f, lt);
            float[] r = new float[vocab];
            for (int i = 0; i < vocab; i++) r[i] = lt.get(0, i);
            return r;
        }
    }

    @Override
    public void close() {
        kv.close();
    }
}
