package io.github.chunkkv.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Writes F32 tensors in the safetensors format: u64 header length, JSON header (padded to 8 bytes), raw data. */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One tensor to write. Its data is asked for only when the writer reaches it, so a large model is written with the
     * memory of its largest tensor.
     */
    public record Entry(String name, int[] shape, Supplier<float[]> data) {
        long elements() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    private SafetensorsWriter() {}

    public static void write(Path file, HfTensors tensors) throws IOException {
        write(file, tensors.asMap().entrySet().stream()
                .map(e -> new Entry(e.getKey(), e.getValue().shape(), e.getValue()::data))
                .toList());
    }

    /** Writes {@code entries} in order; each supplier must return exactly as many floats as its shape holds. */
    public static void write(Path file, List<Entry> entries) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (Entry e : entries) {
            long bytes = Float.BYTES * e.elements();
            header.put(e.name(), Map.of("dtype", "F32", "shape", e.shape(), "data_offsets", List.of(offset, offset + bytes)));
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        byte[] headerBytes = Arrays.copyOf(json, (json.length + 7) / 8 * 8); // the format pads the header to 8 bytes
        Arrays.fill(headerBytes, json.length, headerBytes.length, (byte) ' ');
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerBytes.length));
            writeFully(ch, ByteBuffer.wrap(headerBytes));
            for (Entry e : entries) {
                float[] data = e.data().get();
                if (data.length != e.elements()) {
                    throw new IllegalStateException("tensor " + e.name() + " has " + data.length + " floats, its shape needs " + e.elements());
                }
                ByteBuffer b = ByteBuffer.allocate(Float.BYTES * data.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(data);
                writeFully(ch, b);
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
