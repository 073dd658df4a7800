package io.github.chunkkv.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Converts a llama2.c checkpoint and its tokenizer into a Jlama model folder: config.json (model_type llama),
 * model.safetensors (F32, HF names), tokenizer.json and tokenizer_config.json. The folder is written under a temporary
 * name beside the target and moved into place at the end, so a failure leaves neither a half-written folder nor litter.
 */
public final class Llama2cImporter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Llama2cImporter() {}

    /**
     * Imports {@code checkpoint} + {@code tokenizer} into {@code outDir}, which must not exist yet or be empty.
     *
     * @return the model folder
     */
    public static Path importModel(Path checkpoint, Path tokenizer, Path outDir) throws IOException {
        requireFile(checkpoint, "checkpoint (MODEL.bin)");
        requireFile(tokenizer, "tokenizer (TOK.bin)");
        if (outDir == null) throw new IllegalArgumentException("output folder must be given");
        Path target = outDir.toAbsolutePath().normalize();
        if (Files.exists(target) && !isEmptyDirectory(target)) {
            throw new IllegalArgumentException("output folder must not exist or be empty, but " + target + " has contents");
        }

        Llama2cCheckpoint.Contents model = Llama2cCheckpoint.read(checkpoint);
        Llama2cVocab vocab = Llama2cVocab.read(tokenizer, model.header().vocabSize());

        Files.createDirectories(target.getParent());
        Path staging = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".importing-");
        try {
            SafetensorsWriter.write(staging.resolve("model.safetensors"), model.tensors());
            writeJson(staging.resolve("config.json"), config(model.header(), model.intermediateSize()));
            writeJson(staging.resolve("tokenizer.json"), SentencePieceTokenizerJson.tokenizer(vocab));
            writeJson(staging.resolve("tokenizer_config.json"), SentencePieceTokenizerJson.tokenizerConfig(model.header().seqLen()));
            Files.deleteIfExists(target); // an empty folder given as the target
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException | RuntimeException e) {
            deleteTree(staging);
            throw e;
        }
    }

    static Map<String, Object> config(Llama2cHeader h, int intermediateSize) {
        return LlamaConfigJson.of("llama", h.dim(), intermediateSize, h.heads(), h.kvHeads(), h.layers(), h.seqLen(), h.vocabSize(),
                h.sharedClassifier());
    }

    private static void writeJson(Path file, Object value) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), value);
    }

    private static void requireFile(Path file, String what) {
        if (file == null || !Files.isRegularFile(file)) throw new IllegalArgumentException(what + " must be an existing file, got " + file);
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove the staging folder " + dir, e);
        }
    }
}
