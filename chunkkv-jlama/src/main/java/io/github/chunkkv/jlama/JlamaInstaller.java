package io.github.chunkkv.jlama;

import com.github.tjake.jlama.math.ActivationFunction;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.CausalSelfAttention;
import com.github.tjake.jlama.model.LayerNorm;
import com.github.tjake.jlama.model.MLPBlock;
import com.github.tjake.jlama.model.ModelSupport.ModelType;
import com.github.tjake.jlama.model.TransformerBlock;
import com.github.tjake.jlama.model.functions.EmbedInput;
import com.github.tjake.jlama.model.functions.FeedForward;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import io.github.chunkkv.simd.Kernels;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ForkJoinPool;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The only place that reaches into Jlama's internals. Jlama 0.8.4 has no pluggable cache, so this class reads a
 * loaded model's embedding and transformer blocks and builds twin blocks that share every weight and norm but
 * attend through {@link CompressedAttention} and, for gated MLPs, multiply prefill batches in {@link BatchedMlp}. The
 * original model is left untouched. It also opens stock Jlama's own
 * KvBuffer for {@link StockJlamaSession}, which Jlama exposes no way to do.
 */
final class JlamaInstaller {
    /** Architectures whose attention {@link CompressedAttention} reproduces exactly. */
    static final Set<ModelType> SUPPORTED = EnumSet.of(ModelType.LLAMA, ModelType.MISTRAL, ModelType.QWEN2);

    private JlamaInstaller() {}

    /** Everything the compressed forward pass needs from a Jlama model. */
    record Installed(EmbedInput embedInput, TransformerBlock[] blocks,
            BiFunction<PromptContext, Generator.Response, Generator.Response> postProcessor, WorkingTypes types) {}

    static Installed install(AbstractModel model, ActiveSession active, AttentionConfig attention) {
        WorkingTypes types = workingTypes(model);
        checkSupported(model, types);
        TransformerBlock[] stock = read(AbstractModel.class, model, "transformerBlocks", TransformerBlock[].class);
        TransformerBlock[] blocks = new TransformerBlock[stock.length];
        UnaryOperator<AbstractTensor> toWorkingQuantized = maybeQuantize(model);
        AttentionScratch scratch = new AttentionScratch(model.getConfig().numberOfHeads, model.getConfig().headSize);
        for (int layer = 0; layer < stock.length; layer++) {
            blocks[layer] = twin(model, layer, stock[layer], active, toWorkingQuantized, attention, types, scratch);
        }
        EmbedInput embed = read(AbstractModel.class, model, "embedInput", EmbedInput.class);
        return new Installed(embed, blocks, postProcessor(model), types);
    }

    /** The types the model was loaded with, after Jlama's own substitutions (it may replace the requested ones). */
    @SuppressWarnings("unchecked")
    static WorkingTypes workingTypes(AbstractModel model) {
        Optional<DType> quantizedOnLoad = read(AbstractModel.class, model, "modelQType", Optional.class);
        return new WorkingTypes(storedWeightType(model.getWeights()), quantizedOnLoad, model.getWorkingDType(),
                read(AbstractModel.class, model, "workingQType", DType.class));
    }

    /**
     * The type most weight tensors are stored in (their ".qb" block scales aside), as Jlama's {@code Weights.findDType}
     * counts it but without its F16 to F32 substitution: F16 weights are converted to F32 on load, yet stored F16.
     */
    private static DType storedWeightType(WeightLoader weights) {
        Map<DType, Long> counts = weights.tensorInfoMap().entrySet().stream()
                .filter(e -> !e.getKey().endsWith(".qb"))
                .collect(Collectors.groupingBy(e -> e.getValue().dType, () -> new EnumMap<>(DType.class), Collectors.counting()));
        return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(weights.getModelDType());
    }

    /**
     * A fresh KvBuffer from the model's private cache. {@code getKvBuffer(UUID)}, not {@code getEphemeralKvBuffer()}:
     * the ephemeral buffer has a paging bug in 0.8.4.
     */
    static KvBufferCache.KvBuffer openStockKvBuffer(AbstractModel model) {
        return read(AbstractModel.class, model, "kvBufferCache", KvBufferCache.class).getKvBuffer(UUID.randomUUID());
    }

    static void checkSupported(AbstractModel model, WorkingTypes types) {
        ModelType type = model.getModelType();
        Config c = model.getConfig();
        if (!SUPPORTED.contains(type)) {
            throw new UnsupportedOperationException("ChunkKV supports model types " + SUPPORTED + "; this model is " + type
                    + " (its attention differs, e.g. soft-capping or no RoPE), so it is refused rather than run wrongly");
        }
        if (c.attnLogitSoftCapping != null) {
            throw new UnsupportedOperationException("ChunkKV does not support attention logit soft-capping (model type " + type + ")");
        }
        if (c.ropeFreqs.isEmpty()) {
            throw new UnsupportedOperationException("ChunkKV needs a RoPE model; model type " + type + " has no RoPE table");
        }
        types.checkRunnable();
        if (c.dctx().layerStart != 0 || c.dctx().layerEnd != c.numberOfLayers || c.dctx().headStart != 0
                || c.dctx().headEnd != c.numberOfHeads) {
            throw new UnsupportedOperationException("ChunkKV does not support Jlama's distributed (sharded) mode");
        }
        if (model.getInferenceType() != AbstractModel.InferenceType.FULL_GENERATION) {
            throw new UnsupportedOperationException("ChunkKV needs a model loaded for generation, got " + model.getInferenceType());
        }
    }

    @SuppressWarnings("unchecked")
    private static TransformerBlock twin(AbstractModel model, int layer, TransformerBlock block, ActiveSession active,
            UnaryOperator<AbstractTensor> toWorkingQuantized, AttentionConfig attentionConfig, WorkingTypes types, AttentionScratch scratch) {
        CausalSelfAttention a = read(TransformerBlock.class, block, "attention", CausalSelfAttention.class);
        CompressedAttention attention = new CompressedAttention(
                model, layer,
                read(CausalSelfAttention.class, a, "queryAttnBias", Optional.class),
                read(CausalSelfAttention.class, a, "keyAttnBias", Optional.class),
                read(CausalSelfAttention.class, a, "valueAttnBias", Optional.class),
                read(CausalSelfAttention.class, a, "queryAttnWeights", AbstractTensor.class),
                read(CausalSelfAttention.class, a, "keyAttnWeights", AbstractTensor.class),
                read(CausalSelfAttention.class, a, "valueAttnWeights", AbstractTensor.class),
                read(CausalSelfAttention.class, a, "outputProjectionBias", Optional.class),
                read(CausalSelfAttention.class, a, "outputProjectionWeights", AbstractTensor.class),
                active, toWorkingQuantized, attentionConfig, types.workingQuantized() != DType.I8, scratch);
        return new TransformerBlock(
                model, layer,
                (Optional<LayerNorm>) read(TransformerBlock.class, block, "preAttentionNorm", Optional.class),
                attention,
                (Optional<LayerNorm>) read(TransformerBlock.class, block, "postAttentionNorm", Optional.class),
                (Optional<LayerNorm>) read(TransformerBlock.class, block, "preFFNorm", Optional.class),
                batchedMlp(model, read(TransformerBlock.class, block, "ffBlock", FeedForward.class), types.workingQuantized()),
                (Optional<LayerNorm>) read(TransformerBlock.class, block, "postFFNorm", Optional.class),
                (Optional<LayerNorm>) read(TransformerBlock.class, block, "preResponseNorm", Optional.class));
    }

    /**
     * A {@link BatchedMlp} sharing the weights of Jlama's gated {@code MLPBlock}; any other feed-forward block (no up
     * projection, biases, mixtures of experts) is kept as it is and multiplies on Jlama's kernels.
     */
    private static FeedForward batchedMlp(AbstractModel model, FeedForward block, DType workingQuantized) {
        if (!(block instanceof MLPBlock)) return block;
        AbstractTensor up = read(MLPBlock.class, block, "upProjectionWeights", AbstractTensor.class);
        boolean biased = read(MLPBlock.class, block, "fullyConnectedBias", Optional.class).isPresent()
                || read(MLPBlock.class, block, "projectionBias", Optional.class).isPresent();
        if (up == null || biased) return block;
        return new BatchedMlp(model, block, read(MLPBlock.class, block, "fullyConnectedWeights", AbstractTensor.class), up,
                read(MLPBlock.class, block, "projectionWeights", AbstractTensor.class),
                read(MLPBlock.class, block, "activationFunction", ActivationFunction.Type.class), workingQuantized,
                new BatchedMatmul(Kernels.preferred()));
    }

    /** Jlama's tool-call extraction (a protected hook on AbstractModel), so tool calls work as with stock generate(). */
    private static BiFunction<PromptContext, Generator.Response, Generator.Response> postProcessor(AbstractModel model) {
        try {
            Method m = AbstractModel.class.getDeclaredMethod("postProcessResponse", PromptContext.class, Generator.Response.class);
            m.setAccessible(true);
            return (ctx, response) -> {
                try {
                    return (Generator.Response) m.invoke(model, ctx, response);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("Jlama's postProcessResponse failed", e);
                }
            };
        } catch (NoSuchMethodException e) {
            throw incompatible("AbstractModel.postProcessResponse", e);
        }
    }

    /**
     * Jlama's {@code maybeQuantize} (protected; the model class may override it): converts a working-memory tensor to
     * the working quantized type, as stock attention does before its output projection. The caller closes the result.
     */
    private static UnaryOperator<AbstractTensor> maybeQuantize(AbstractModel model) {
        try {
            Method m = AbstractModel.class.getDeclaredMethod("maybeQuantize", AbstractTensor.class);
            m.setAccessible(true);
            return t -> {
                try {
                    return (AbstractTensor) m.invoke(model, t);
                } catch (InvocationTargetException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException("Jlama's maybeQuantize failed", e.getCause());
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("Jlama's maybeQuantize failed", e);
                }
            };
        } catch (NoSuchMethodException e) {
            throw incompatible("AbstractModel.maybeQuantize", e);
        }
    }

    /**
     * The buffer holding a Q4 tensor's codes (Jlama's {@code b}; code byte i of the tensor, as its
     * {@code getMemorySegmentOffset} counts them, is at {@code position() + i}), so a decode step copies a panel's
     * codes in one bulk read instead of a vector call per 64 bytes.
     */
    static ByteBuffer q4Codes(Q4ByteBufferTensor tensor) {
        try {
            return (ByteBuffer) Q4Codes.FIELD.get(tensor);
        } catch (IllegalAccessException e) {
            throw incompatible("Q4ByteBufferTensor.b", e);
        }
    }

    /** Looked up once, on first use: a field lookup per decode step would cost more than the copy it saves. */
    private static final class Q4Codes {
        static final Field FIELD = accessibleField(Q4ByteBufferTensor.class, "b");
    }

    /**
     * The pool behind Jlama's {@code VectorMath.pfor} and {@code pchunk} ({@code PhysicalCoreExecutor.pool}), which
     * only offers to run a task and wait for it; decode-time recall submits to it and works on the calling thread
     * until it joins.
     */
    static ForkJoinPool jlamaPool() {
        try {
            return (ForkJoinPool) JlamaPool.FIELD.get(PhysicalCoreExecutor.instance.get());
        } catch (IllegalAccessException e) {
            throw incompatible("PhysicalCoreExecutor.pool", e);
        }
    }

    private static final class JlamaPool {
        static final Field FIELD = accessibleField(PhysicalCoreExecutor.class, "pool");
    }

    private static Field accessibleField(Class<?> owner, String name) {
        try {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw incompatible(owner.getSimpleName() + "." + name, e);
        }
    }

    private static <T> T read(Class<?> owner, Object target, String name, Class<T> type) {
        try {
            return type.cast(accessibleField(owner, name).get(target));
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw incompatible(owner.getSimpleName() + "." + name, e);
        }
    }

    private static IllegalStateException incompatible(String member, Exception cause) {
        return new IllegalStateException("This Jlama version is not the 0.8.4 ChunkKV was built for: cannot access " + member, cause);
    }
}
