package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tjake.jlama.model.AbstractModel;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.testing.TinyModelExtension;
import io.github.chunkkv.testing.SameLogits;
import io.github.chunkkv.testing.TinyModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Snapshots continue exactly where the saved session stopped; bad files and failed writes are refused cleanly. */
class SnapshotTest {
    @TempDir
    Path dir;

    static final TinyModels.Spec spec = TinyModels.llama();

    @RegisterExtension
    static final TinyModelExtension LLAMA = new TinyModelExtension(spec);

    /** A session two turns deep, with cold rows, a decoded reply and a pending token. */
    private static KvSession conversation(ChunkKvModel m) {
        Random r = new Random(12);
        KvSession s = m.openSession();
        float[] logits = s.prefill(r.ints(150, 3, spec.vocab()).toArray());
        for (int i = 0; i < 4; i++) logits = s.decode(Sampler.argmax(logits));
        s.prefill(r.ints(40, 3, spec.vocab()).toArray());
        s.setPendingToken(7);
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunkkv:keep=0.2,chunk=4,window=8,recall=ram", "snapkv:budget=48,window=8,recall=disk,cap=40,slack=4",
            "h2o:keep=0.3,window=8"})
    void aLoadedSnapshotContinuesExactlyAsTheOriginal(String policy) {
        Path file = dir.resolve("session.ckv");
        int[] next = new Random(13).ints(25, 3, spec.vocab()).toArray();
        try (ChunkKvModel original = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse(policy));
                ChunkKvModel other = ChunkKvJlama.wrap(TinyModels.load(LLAMA.folder()), ChunkKvConfig.full())) {
            KvSession saved = conversation(original);
            saved.save(file);
            KvSession loaded = other.load(file);
            assertEquals(saved.config(), loaded.config());
            assertArrayEquals(saved.tokens(), loaded.tokens());
            assertEquals(saved.compressedUpTo(), loaded.compressedUpTo());
            assertEquals(7, loaded.pendingToken());
            assertEquals(saved.lastStats().toString(), loaded.lastStats().toString());
            assertEquals(saved.lastRecallStats(), loaded.lastRecallStats());
            for (int l = 0; l < spec.layers(); l++) {
                assertArrayEquals(saved.cachedPositions(l), loaded.cachedPositions(l));
                assertArrayEquals(saved.coldPositions(l), loaded.coldPositions(l));
            }
            SameLogits.assertSame(saved.prefill(next), loaded.prefill(next), "same logits on the next turn");
            SameLogits.assertSame(saved.decode(9), loaded.decode(9), "and on the next decode step");
            other.jlamaModel().close();
        }
        assertEquals(List.of(file), listDir(), "no temp file left behind");
    }

    @Test
    void aSnapshotOfAnotherModelIsRefusedNamingTheDifference() throws IOException {
        Path file = dir.resolve("s.ckv");
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.3,window=8,recall=ram"))) {
            conversation(m).save(file);
        }
        TinyModels.Spec sameShapeOtherWeights = new TinyModels.Spec("llama", 3, 128, 8, 4, 192, 1024, false, 99);
        assertRefused(sameShapeOtherWeights, file, "different model: weight hash");
        assertRefused(TinyModels.llamaMha(), file, "layers 3 (this model: 2)");
    }

    private void assertRefused(TinyModels.Spec otherSpec, Path file, String message) {
        AbstractModel other = TinyModels.load(TinyModels.write(otherSpec, dir.resolve("other-" + otherSpec.seed())));
        try (ChunkKvModel m = ChunkKvJlama.wrap(other, ChunkKvConfig.full())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.load(file));
            assertTrue(e.getMessage().contains(message), e.getMessage());
            assertEquals(0, m.openSessions());
        } finally {
            other.close();
        }
    }

    @Test
    void badFilesAreRefusedBeforeAnyAllocationAndTouchNoOtherSession() throws IOException {
        Path good = dir.resolve("good.ckv");
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.3,window=8,recall=ram"))) {
            KvSession bystander = conversation(m);
            bystander.save(good);
            byte[] bytes = Files.readAllBytes(good);
            int position = positionOffset(bytes);

            assertBad(m, "truncated.ckv", Arrays.copyOf(bytes, bytes.length - 100), "is truncated");
            assertBad(m, "header-cut.ckv", Arrays.copyOf(bytes, 20), "is truncated");
            assertBad(m, "empty.ckv", new byte[0], "is truncated");
            byte[] flipped = bytes.clone();
            flipped[bytes.length / 2] ^= 0x10;
            assertBad(m, "flipped.ckv", flipped, "CRC32C checksum does not match");
            byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
            assertBad(m, "longer.ckv", longer, "is corrupt");
            assertBad(m, "magic.ckv", "GGUF and other things".getBytes(StandardCharsets.UTF_8), "bad magic");
            assertBad(m, "future.ckv", withInt(bytes, 8, 2), "format version 2; this library reads version 1 (saved by a newer library)");
            assertBad(m, "position.ckv", withInt(bytes, position, Integer.MAX_VALUE), "position must be in [0, ");
            int hotRowsOfLayer0 = position + 13;
            assertBad(m, "hot.ckv", withInt(bytes, hotRowsOfLayer0, 2_000_000_000), "hot rows of layer 0 must be in [0, position = 194]");
            assertBad(m, "negative.ckv", withInt(bytes, hotRowsOfLayer0 + 4 * spec.layers(), -5), "cold rows of layer 0 must be in");
            int oneHotRowLess = ByteBuffer.wrap(bytes).getInt(hotRowsOfLayer0) - 1; // in range, but not what the body holds
            assertBad(m, "plausible.ckv", withInt(bytes, hotRowsOfLayer0, oneHotRowLess), "its header describes only");

            assertEquals(1, m.openSessions(), "no failed load registered a session");
            assertEquals(194, bystander.position());
            assertEquals(spec.vocab(), bystander.decode(5).length, "the other session still works");
        }
    }

    private void assertBad(ChunkKvModel m, String name, byte[] content, String message) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.load(file), name);
        assertTrue(e.getMessage().contains(message), name + ": " + e.getMessage());
    }

    /** Offset of the header's position field: after magic, version, the fingerprint and the policy spec. */
    private static int positionOffset(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int at = 12;
        at += 2 + b.getShort(at); // architecture
        at += 7 * 4 + 8; // dims, weight hash
        at += 2 + b.getShort(at); // policy spec
        return at;
    }

    private static byte[] withInt(byte[] bytes, int offset, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).putInt(offset, value);
        return copy;
    }

    @Test
    void anUnwritablePathOrAFailedWriteLeavesNothingBehind() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.chunkKv(0.5))) {
            KvSession s = m.openSession();
            s.prefill(new int[] {5, 6, 7});
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> s.save(notADirectory.resolve("s.ckv")));
            assertTrue(e.getMessage().contains("cannot save snapshot to"), e.getMessage());
            s.save(dir.resolve("kept.ckv"));
        }
        byte[] before = Files.readAllBytes(dir.resolve("kept.ckv"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> SnapshotFiles.writeAtomically(dir.resolve("kept.ckv"), out -> {
            out.write(new byte[10_000]);
            throw new IOException("No space left on device");
        }));
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("kept.ckv")), "the previous snapshot is intact");
        assertEquals(List.of(dir.resolve("kept.ckv"), notADirectory), listDir().stream().sorted().toList(), "no temp file left behind");
    }

    @Test
    void concurrentSavesOfOneSessionAreSerialized() throws Exception {
        Path file = dir.resolve("shared.ckv");
        try (ChunkKvModel m = ChunkKvJlama.wrap(LLAMA.model(), ChunkKvConfig.parse("chunkkv:keep=0.3,window=8,recall=disk"))) {
            KvSession s = conversation(m);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> saves = new ArrayList<>();
                for (int i = 0; i < 8; i++) saves.add(pool.submit(() -> s.save(file)));
                for (Future<?> f : saves) f.get();
            } finally {
                pool.shutdown();
            }
            KvSession loaded = m.load(file);
            assertArrayEquals(s.tokens(), loaded.tokens());
        }
        assertEquals(List.of(file), listDir());
    }

    private List<Path> listDir() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
