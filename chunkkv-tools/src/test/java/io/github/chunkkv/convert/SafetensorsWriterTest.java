package io.github.chunkkv.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.WeightLoader;
import com.github.tjake.jlama.tensor.AbstractTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    @Test
    void f16TensorsLoadInJlamaAsTheNearestHalfPrecisionValues() throws IOException {
        float[] data = {0f, 1f, -2.5f, 1e-3f, 65504f, -0.1f, 3.14159f};
        HfTensors tensors = new HfTensors();
        tensors.put("w", data, 1, data.length);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, SafetensorsWriter.StoredType.F16);

        WeightLoader weights = SafeTensorSupport.loadWeights(dir.toFile());
        assertEquals(DType.F16, weights.tensorInfoMap().get("w").dType);
        try (AbstractTensor w = weights.load("w")) { // Jlama converts F16 to F32 while loading
            for (int i = 0; i < data.length; i++) assertEquals(Float.float16ToFloat(Float.floatToFloat16(data[i])), w.get(0, i), "element " + i);
        }
    }

    @Test
    void aValueF16CannotHoldIsRefusedNamingTheTensorAndNoFileIsLeft() {
        Path file = dir.resolve("model.safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("fine", new int[] {2}, () -> new float[] {1f, 2f}),
                new SafetensorsWriter.Entry("huge", new int[] {3}, () -> new float[] {1f, 70000f, 2f}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(file, entries, SafetensorsWriter.StoredType.F16));
        assertTrue(e.getMessage().contains("huge") && e.getMessage().contains("element 1") && e.getMessage().contains("65504"), e.getMessage());
        assertFalse(Files.exists(file), "a cut file would look like a model with missing tensors");
    }
}
