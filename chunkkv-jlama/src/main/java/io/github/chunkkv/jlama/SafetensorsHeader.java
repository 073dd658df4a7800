package io.github.chunkkv.jlama;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensor table of one safetensors file (u64 little-endian header length, JSON header, data), read and checked
 * against the file's size without reading any tensor data. Jlama maps the file and fails on a cut or garbled one with
 * exceptions that carry no message; this reader names the file and what is wrong.
 */
final class SafetensorsHeader {
    /** Headers above this size are not a model's tensor table but garbage. */
    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor: its dtype as written, its shape, and its byte range within the data section. */
    record Tensor(String dtype, long[] shape, long begin, long end) {
        long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        /** Rows of a 2-D tensor, the length of a 1-D one. */
        long rows() {
            return shape.length == 0 ? 1 : shape[0];
        }

        long columns() {
            return shape.length < 2 ? 1 : shape[shape.length - 1];
        }
    }

    private SafetensorsHeader() {}

    /** The tensors of {@code file} by name; throws {@link ModelFolderException} if the file is cut or not safetensors. */
    static Map<String, Tensor> read(Path file) {
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            if (size < Long.BYTES) {
                throw new ModelFolderException(file, "is " + size + " bytes long; a safetensors file starts with an 8-byte header length");
            }
            long headerBytes = readFully(ch, Long.BYTES, 0).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (headerBytes <= 0 || headerBytes > Math.min(MAX_HEADER_BYTES, size - Long.BYTES)) {
                throw new ModelFolderException(file, "header length " + headerBytes + " is not within [1, "
                        + Math.min(MAX_HEADER_BYTES, size - Long.BYTES) + "] (the file is " + size
                        + " bytes): the file is cut short or is not safetensors");
            }
            JsonNode header = parse(file, readFully(ch, (int) headerBytes, Long.BYTES));
            return tensors(file, header, size - Long.BYTES - headerBytes);
        } catch (IOException e) {
            throw new ModelFolderException(file, "cannot be read: " + e.getMessage(), e);
        }
    }

    private static JsonNode parse(Path file, ByteBuffer bytes) throws IOException {
        try {
            JsonNode header = JSON.readTree(bytes.array());
            if (header == null || !header.isObject()) {
                throw new ModelFolderException(file, "the header is not a JSON object of tensors: the file is not safetensors");
            }
            return header;
        } catch (JsonProcessingException e) {
            throw new ModelFolderException(file, "the header is not valid JSON (" + e.getOriginalMessage()
                    + "): the file is cut short or is not safetensors", e);
        }
    }

    private static Map<String, Tensor> tensors(Path file, JsonNode header, long dataBytes) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            Tensor t = tensor(file, e.getKey(), e.getValue());
            if (t.end() > dataBytes) {
                throw new ModelFolderException(file, "tensor " + e.getKey() + " ends at data byte " + t.end() + " but the file holds only "
                        + dataBytes + " data bytes: the file is cut short");
            }
            tensors.put(e.getKey(), t);
        }
        return tensors;
    }

    private static Tensor tensor(Path file, String name, JsonNode node) {
        JsonNode shape = node.path("shape"), offsets = node.path("data_offsets");
        if (!node.path("dtype").isTextual() || !shape.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new ModelFolderException(file, "tensor " + name + " needs dtype, shape and data_offsets [begin, end], got " + node);
        }
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = shape.get(i).asLong(-1);
            if (!shape.get(i).canConvertToLong() || dims[i] < 0) {
                throw new ModelFolderException(file, "tensor " + name + " has shape " + shape + "; dimensions must be integers >= 0");
            }
        }
        long begin = offsets.get(0).asLong(-1), end = offsets.get(1).asLong(-1);
        if (!offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong() || begin < 0 || end < begin) {
            throw new ModelFolderException(file, "tensor " + name + " has data_offsets " + offsets + "; expected 0 <= begin <= end");
        }
        Tensor t = new Tensor(node.get("dtype").asText(), dims, begin, end);
        int width = switch (t.dtype()) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> 0; // Jlama's own Q4/I8 layouts carry block scales in companion tensors
        };
        if (width > 0 && end - begin != t.elements() * width) {
            throw new ModelFolderException(file, "tensor " + name + " (" + t.dtype() + ", shape " + shape + ") needs "
                    + t.elements() * width + " bytes but its data_offsets span " + (end - begin));
        }
        return t;
    }

    private static ByteBuffer readFully(FileChannel ch, int bytes, long position) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(bytes);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) throw new IOException("unexpected end of file");
        }
        return b;
    }
}
