package io.github.chunkkv.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes float tensors in the safetensors format (u64 header length, JSON header padded to 8 bytes, raw
 * little-endian data), stored as float32 or as IEEE half precision.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the tensors' floats are stored, by their safetensors dtype name. */
    public enum StoredType {
        /** float32, as generated. */
        F32(Float.BYTES),
        /** IEEE 754 half precision (what float16 checkpoints hold): values beyond ±65504 are refused, not turned into infinities. */
        F16(Short.BYTES);

        private final int bytes;

        StoredType(int bytes) {
            this.bytes = bytes;
        }
    }

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

    /** Writes {@code tensors} as float32. */
    public static void write(Path file, HfTensors tensors) throws IOException {
        write(file, tensors, StoredType.F32);
    }

    /** Writes {@code tensors} stored as {@code type}. */
    public static void write(Path file, HfTensors tensors, StoredType type) throws IOException {
        write(file, tensors.asMap().entrySet().stream()
                .map(e -> new Entry(e.getKey(), e.getValue().shape(), e.getValue()::data))
                .toList(), type);
    }

    /** Writes {@code entries} in order as float32; each supplier must return exactly as many floats as its shape holds. */
    public static void write(Path file, List<Entry> entries) throws IOException {
        write(file, entries, StoredType.F32);
    }

    /**
     * Writes {@code entries} in order stored as {@code type}; each supplier must return exactly as many floats as its
     * shape holds, each representable in {@code type} (for F16 within ±65504). On failure no file is left behind.
     */
    public static void write(Path file, List<Entry> entries, StoredType type) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (Entry e : entries) {
            long bytes = type.bytes * e.elements();
            header.put(e.name(), Map.of("dtype", type.name(), "shape", e.shape(), "data_offsets", List.of(offset, offset + bytes)));
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
                writeFully(ch, encode(e.name(), data, type));
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file); // a cut file would look like a model with missing tensors
            throw e;
        }
    }

    private static ByteBuffer encode(String name, float[] data, StoredType type) {
        ByteBuffer b = ByteBuffer.allocate(type.bytes * data.length).order(ByteOrder.LITTLE_ENDIAN);
        if (type == StoredType.F32) {
            b.asFloatBuffer().put(data);
            return b;
        }
        for (int i = 0; i < data.length; i++) {
            short half = Float.floatToFloat16(data[i]);
            if (!Float.isFinite(Float.float16ToFloat(half))) {
                throw new IllegalArgumentException("tensor " + name + " element " + i + " is " + data[i] + ": F16 holds finite values within ±65504");
            }
            b.putShort(2 * i, half);
        }
        return b;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
