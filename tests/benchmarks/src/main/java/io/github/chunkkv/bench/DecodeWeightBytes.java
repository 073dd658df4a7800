package io.github.chunkkv.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Weight bytes one decode step reads, taken from the safetensors headers of a model folder (so it is exact for the
 * stored dtype): every tensor, except that the token embedding only counts when it doubles as the classifier —
 * otherwise decode reads a single row of it.
 */
final class DecodeWeightBytes {
    private static final String EMBEDDING = "model.embed_tokens.weight";
    private static final String CLASSIFIER = "lm_head.weight";

    private DecodeWeightBytes() {}

    static long of(Path modelDir) {
        Map<String, Long> bytes = new HashMap<>();
        try (Stream<Path> files = Files.list(modelDir)) {
            List<Path> shards = files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            if (shards.isEmpty()) throw new IllegalArgumentException("--model folder holds no *.safetensors file: " + modelDir);
            for (Path shard : shards) readHeader(shard, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the safetensors headers in " + modelDir, e);
        }
        long total = bytes.values().stream().mapToLong(Long::longValue).sum();
        return bytes.containsKey(CLASSIFIER) ? total - bytes.getOrDefault(EMBEDDING, 0L) : total;
    }

    private static void readHeader(Path file, Map<String, Long> bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (len.hasRemaining() && ch.read(len) >= 0) {}
            long headerLength = len.getLong(0);
            if (headerLength <= 0 || headerLength > Math.min(ch.size() - 8, 100_000_000)) {
                throw new IOException("not a safetensors file (header length " + headerLength + "): " + file);
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            while (header.hasRemaining() && ch.read(header) >= 0) {}
            JsonNode root = new ObjectMapper().readTree(header.array());
            root.fields().forEachRemaining(e -> {
                JsonNode offsets = e.getValue().get("data_offsets");
                if (offsets != null) bytes.merge(e.getKey(), offsets.get(1).asLong() - offsets.get(0).asLong(), Long::sum);
            });
        }
    }
}
