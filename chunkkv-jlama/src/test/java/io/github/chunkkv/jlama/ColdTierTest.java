package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.config.Recall;
import io.github.chunkkv.simd.Kernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The disk tier returns exactly the rows and keys the RAM tier does, however the selected rows are spread in its file. */
class ColdTierTest {
    private static final int ROW_STRIDE = 6, HEAD_SIZE = 3, KV_HEADS = ROW_STRIDE / HEAD_SIZE;

    @Test
    void diskReadsAndTakesTheSameRowsAsRamForSelectionsWithGapsOfEverySize() {
        Random random = new Random(7);
        try (ColdTier ram = ColdTier.create(Recall.RAM, 1, ROW_STRIDE, HEAD_SIZE, 4, Kernels.preferred());
                ColdTier disk = ColdTier.create(Recall.DISK, 1, ROW_STRIDE, HEAD_SIZE, 4, Kernels.preferred())) {
            for (int block = 0; block < 2; block++) { // two demotions: two extents in the file, interleaved positions
                ColdRows rows = randomRows(random, 200, block);
                ram.store(0, rows);
                disk.store(0, rows);
            }
            int[] chunkIds = {0, 1, 7, 8, 9, 50, 98, 99, 120}; // chunks of 4 positions: 100 hold rows of both extents
            assertEquals(keysByChunk(ram, chunkIds), keysByChunk(disk, chunkIds));
            assertEquals(List.of(4, 4, 4, 4, 4, 4, 4, 4, 0), keysByChunk(disk, chunkIds).stream().map(List::size).toList());
            // runs and gaps of 1 to 12 chunks: gaps below and above what one disk read may span
            int[] scattered = IntStream.range(0, 101).filter(c -> c % 13 < 1 + c / 13 % 5 || c % 31 == 7).toArray();
            assertSame(ram.takeChunks(0, scattered, 4), disk.takeChunks(0, scattered, 4));
            assertEquals(keysByChunk(ram, chunkIds), keysByChunk(disk, chunkIds), "taken chunks have no rows left");
            int[] everyThird = IntStream.range(0, 101).filter(c -> c % 3 == 1).toArray(); // extents that already lost rows
            assertSame(ram.takeChunks(0, everyThird, 4), disk.takeChunks(0, everyThird, 4));
            assertEquals(keysByChunk(ram, chunkIds), keysByChunk(disk, chunkIds));
            assertSame(ram.rows(0), disk.rows(0));
        }
    }

    /** {@code n} rows at positions block, block + 2, block + 4, ... with random codes and scales. */
    private static ColdRows randomRows(Random random, int n, int block) {
        int[] positions = new int[n];
        byte[] codes = new byte[n * 2 * ROW_STRIDE];
        float[] scales = new float[n * 2 * KV_HEADS];
        for (int r = 0; r < n; r++) positions[r] = block + 2 * r;
        random.nextBytes(codes);
        for (int i = 0; i < scales.length; i++) scales[i] = random.nextFloat();
        return new ColdRows(positions, codes, scales);
    }

    @Test
    void anInterruptedThreadReadsMappedKeysAndTheDiskTierStaysUsable() {
        try (ColdTier ram = ColdTier.create(Recall.RAM, 1, ROW_STRIDE, HEAD_SIZE, 4, Kernels.preferred());
                ColdTier disk = ColdTier.create(Recall.DISK, 1, ROW_STRIDE, HEAD_SIZE, 4, Kernels.preferred())) {
            ColdRows rows = randomRows(new Random(3), 60, 0);
            ram.store(0, rows);
            disk.store(0, rows);
            int[] chunkIds = {0, 5, 29};
            Thread.currentThread().interrupt(); // a channel operation on this thread would now close the file for good
            try {
                assertEquals(keysByChunk(ram, chunkIds), keysByChunk(disk, chunkIds));
                int[] first = {0, 1, 2, 3, 4};
                assertSame(ram.takeChunks(0, first, 4), disk.takeChunks(0, first, 4));
                assertSame(ram.rows(0), disk.rows(0));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt status stays set");
            }
        }
    }

    /** Per chunk, its rows' key codes and key scales as {@link ColdTier#chunkKeys} locates them, sorted as text. */
    private static List<List<String>> keysByChunk(ColdTier tier, int[] chunkIds) {
        ColdTier.ChunkKeys keys = tier.chunkKeys(0, chunkIds, chunkIds.length);
        List<List<String>> chunks = new ArrayList<>();
        for (int i = 0; i < chunkIds.length; i++) {
            List<String> rows = new ArrayList<>();
            for (int r = keys.from(i); r < keys.to(i); r++) {
                rows.add(Arrays.toString(Arrays.copyOfRange(keys.codes(), r * keys.codeStride(), r * keys.codeStride() + ROW_STRIDE))
                        + Arrays.toString(Arrays.copyOfRange(keys.scales(), r * keys.scaleStride(), r * keys.scaleStride() + KV_HEADS)));
            }
            Collections.sort(rows); // a chunk demoted in parts lies in several disk blocks
            chunks.add(rows);
        }
        return chunks;
    }

    private static void assertSame(ColdRows expected, ColdRows actual) {
        assertArrayEquals(expected.positions(), actual.positions());
        assertArrayEquals(expected.codes(), actual.codes());
        assertArrayEquals(expected.scales(), actual.scales());
        assertEquals(expected.rows(), actual.rows());
    }
}
