package io.github.chunkkv.convert;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Named float32 tensors in insertion order, each with its row-major shape: what a safetensors file holds. */
public final class HfTensors {
    /** One tensor: row-major data and its shape. */
    public record Tensor(float[] data, int[] shape) {
        public Tensor {
            long n = 1;
            for (int d : shape) n *= d;
            if (n != data.length) throw new IllegalArgumentException("tensor data holds " + data.length + " floats, shape needs " + n);
        }
    }

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    public void put(String name, float[] data, int... shape) {
        if (tensors.putIfAbsent(name, new Tensor(data, shape)) != null) throw new IllegalStateException("duplicate tensor " + name);
    }

    public Tensor get(String name) {
        return tensors.get(name);
    }

    public Map<String, Tensor> asMap() {
        return Collections.unmodifiableMap(tensors);
    }
}
