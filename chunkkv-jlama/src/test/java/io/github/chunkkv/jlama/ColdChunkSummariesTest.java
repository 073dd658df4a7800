package io.github.chunkkv.jlama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.simd.Kernels;
import io.github.chunkkv.simd.ScalarKernels;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The chunk summaries bound q·k of every cold key they summarise, also after rows join a chunk later. */
class ColdChunkSummariesTest {
    private static final int HEAD = 7, KV_HEADS = 3, STRIDE = HEAD * KV_HEADS, CHUNK = 5;
    private final Kernels kernels = Kernels.preferred();
    private final SplittableRandom rnd = new SplittableRandom(5);

    /** Q8 rows (keys and values) at the given ascending positions, with magnitudes varying by head. */
    private ColdRows rows(int... positions) {
        byte[] codes = new byte[positions.length * 2 * STRIDE];
        float[] scales = new float[positions.length * 2 * KV_HEADS];
        float[] row = new float[2 * STRIDE];
        for (int r = 0; r < positions.length; r++) {
            for (int i = 0; i < row.length; i++) row[i] = (float) rnd.nextDouble(-1, 1) * (1 + i / HEAD);
            ScalarKernels.INSTANCE.quantizeQ8(row, 0, 2 * KV_HEADS, HEAD, codes, r * 2 * STRIDE, scales, r * 2 * KV_HEADS);
        }
        return new ColdRows(positions, codes, scales);
    }

    @Test
    void boundsHoldForEveryKeyOfEveryChunkAndRemovedChunksAreForgotten() {
        ColdChunkSummaries summaries = new ColdChunkSummaries(kernels, 1, CHUNK, STRIDE, HEAD);
        ColdRows first = rows(0, 1, 3, 7, 12), later = rows(2, 8, 9, 14); // chunks 0, 1 and 2 grow later
        summaries.add(0, first);
        summaries.add(0, later);
        assertEquals(3, summaries.chunks(0));
        assertEquals(4, summaries.coldRows(0, 0));
        assertEquals(3, summaries.coldRows(0, 1));
        assertEquals(2, summaries.coldRows(0, 2));
        float[] key = new float[STRIDE], bounds = new float[3];
        for (int trial = 0; trial < 50; trial++) {
            float[] q = new float[HEAD], positive = new float[HEAD], negative = new float[HEAD];
            for (int j = 0; j < HEAD; j++) {
                q[j] = (float) rnd.nextDouble(-2, 2);
                positive[j] = Math.max(q[j], 0f);
                negative[j] = Math.min(q[j], 0f);
            }
            for (int g = 0; g < KV_HEADS; g++) {
                summaries.upperBounds(0, positive, negative, 0, 1, g, bounds);
                for (ColdRows block : new ColdRows[] {first, later}) {
                    for (int r = 0; r < block.rows(); r++) {
                        kernels.dequantizeQ8(block.codes(), r * 2 * STRIDE, block.scales(), r * 2 * KV_HEADS, KV_HEADS, HEAD, key, 0);
                        float dot = kernels.dot(q, 0, key, g * HEAD, HEAD), bound = bounds[block.positions()[r] / CHUNK];
                        assertTrue(dot <= bound + 1e-5f * (1 + Math.abs(bound)), "head " + g + ", position " + block.positions()[r] + ": " + dot + " > " + bound);
                    }
                }
            }
        }
        long bytes = summaries.bytes();
        assertTrue(bytes > 0 && bytes < (long) 3 * CHUNK * STRIDE * Float.BYTES, "summaries are smaller than the float32 keys: " + bytes);
        summaries.remove(0, 1);
        assertEquals(0, summaries.coldRows(0, 1));
        summaries.clear();
        assertEquals(0, summaries.chunks(0));
    }
}
