package io.github.chunkkv.jlama;

import com.github.tjake.jlama.math.ActivationFunction;
import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.functions.FeedForward;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A gated feed-forward block, {@code down(act(gate(x)) * up(x))} (SwiGLU for Llama), whose prefill batches, and
 * decode steps with Q4 weights and F32 activations, run on {@link BatchedMatmul}. It rounds where stock Jlama's MLPBlock
 * stores to working memory (the gate and up products, the activation, their product) and quantizes the product to the
 * working quantized type before the down projection, as stock does. Calls BatchedMatmul does not cover (F32 and BF16
 * decoding, I8-quantized activations) go to Jlama's own block.
 */
final class BatchedMlp implements FeedForward {
    private final AbstractModel model;
    private final FeedForward stock;
    private final AbstractTensor gate, up, down;
    private final ActivationFunction.Type activation;
    private final DType workingQuantized;
    private final BatchedMatmul matmul;

    BatchedMlp(AbstractModel model, FeedForward stock, AbstractTensor gate, AbstractTensor up, AbstractTensor down,
            ActivationFunction.Type activation, DType workingQuantized, BatchedMatmul matmul) {
        this.model = model;
        this.stock = stock;
        this.gate = gate;
        this.up = up;
        this.down = down;
        this.activation = activation;
        this.workingQuantized = workingQuantized;
        this.matmul = matmul;
    }

    @Override
    public AbstractTensor forward(AbstractTensor input, Optional<Consumer<List<AbstractTensor>>> tensorReducer) {
        int rows = input.shape().first();
        if (!BatchedMatmul.covers(input.dType(), rows, gate.dType())) return stock.forward(input, tensorReducer);
        int dim = model.getConfig().embeddingLength, hidden = model.getConfig().hiddenLength;
        DType working = model.getWorkingDType();
        float[] x = new float[rows * dim];
        TensorArrays.toArray(input, rows, dim, x);
        float[] h = matmul.multiply(x, rows, gate), u = matmul.multiply(x, rows, up);
        VectorMath.pfor(0, rows, r -> {
            int from = r * hidden;
            for (int i = from; i < from + hidden; i++) h[i] = roundTo(working, ActivationFunction.eval(activation, roundTo(working, h[i])));
            for (int i = from; i < from + hidden; i++) h[i] = roundTo(workingQuantized, roundTo(working, h[i] * roundTo(working, u[i])));
        });
        AbstractTensor result = model.makeDenseTensor(rows, dim);
        TensorArrays.fromArray(matmul.multiply(h, rows, down), rows, dim, result);
        tensorReducer.ifPresent(reduce -> reduce.accept(List.of(result)));
        return result;
    }

    private static float roundTo(DType type, float x) {
        return TensorArrays.roundTo(type, x);
    }
}
