package io.github.chunkkv.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.chunkkv.simd.Kernels;
import io.github.chunkkv.simd.ScalarKernels;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The layer as scorers see it: lazy attention computed once, candidate renumbering, input validation. */
class LayerViewTest {
    private static final Kernels K = Kernels.preferred();

    @Test
    void attentionIsComputedOnFirstRequestOnly() {
        LayerView layer = Layers.random(50, 8, 1);
        assertEquals(0, layer.attentionNanos(), "nothing computed before a scorer asks");
        AttentionObservation first = layer.attention();
        assertSame(first, layer.attention(), "computed once");
        assertEquals(8, first.rows());
        assertEquals(50, first.cacheLength());
    }

    @Test
    void candidatesAfterProtectedRowsAreRenumberedFromZero() {
        int n = 40, from = 7, stride = Layers.KV_HEADS * Layers.HEAD_SIZE;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] queries = Layers.gaussian(rnd, 5 * Layers.HEADS * Layers.HEAD_SIZE), keys = Layers.gaussian(rnd, n * stride);
        int[] positions = IntStream.range(0, n).map(p -> 2 * p).toArray();
        LayerView tail = new LayerView(K, keys, keys, positions, stride, n, from, Layers.HEADS, Layers.KV_HEADS, Layers.HEAD_SIZE, queries,
                5, 0.25f);
        assertEquals(n - from, tail.cacheLength());
        assertEquals(2 * from, tail.position(0));
        assertEquals((from + 3) * stride + Layers.HEAD_SIZE, tail.offset(3, 1));

        // The window still attends to the protected rows: the candidates' columns are those of the whole cache.
        float[] whole = new float[Layers.HEADS * n];
        ScalarKernels.INSTANCE.windowColumnSums(queries, 5, n - 5, keys, stride, n, Layers.HEADS, Layers.KV_HEADS, Layers.HEAD_SIZE, 0.25f,
                whole);
        AttentionObservation seen = tail.attention();
        for (int h = 0; h < Layers.HEADS; h++) {
            float[] expected = Arrays.copyOfRange(whole, h * n + from, (h + 1) * n);
            float[] actual = Arrays.copyOfRange(seen.columnSums(), h * (n - from), (h + 1) * (n - from));
            for (int j = 0; j < expected.length; j++) assertEquals(expected[j], actual[j], 1e-5f, "head " + h + " column " + j);
        }
    }

    @Test
    void queriesFollowingTheCacheSeeEveryRowAndMayOutnumberIt() {
        int n = 9, rows = 13, stride = Layers.KV_HEADS * Layers.HEAD_SIZE;
        SplittableRandom rnd = new SplittableRandom(4);
        float[] queries = Layers.gaussian(rnd, rows * Layers.HEADS * Layers.HEAD_SIZE), keys = Layers.gaussian(rnd, n * stride);
        LayerView probed = new LayerView(K, keys, keys, IntStream.range(0, n).toArray(), stride, n, 0, Layers.HEADS, Layers.KV_HEADS,
                Layers.HEAD_SIZE, queries, rows, true, 0.25f);
        AttentionObservation seen = probed.attention();
        float[] expected = new float[Layers.HEADS * n];
        ScalarKernels.INSTANCE.windowColumnSums(queries, rows, n, keys, stride, n, Layers.HEADS, Layers.KV_HEADS, Layers.HEAD_SIZE, 0.25f,
                expected);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], seen.columnSums()[i], 1e-5f, "column sum " + i);
        float total = 0;
        for (int j = 0; j < n; j++) total += seen.columnSums()[j];
        assertEquals(rows, total, 1e-4f, "every row's softmax covers the whole cache");
        for (int j = 0; j < n; j++) assertEquals(rows, seen.rowsSeeing(j), "every probe row sees column " + j);
        assertEquals(rows, seen.tail(4).rowsSeeing(0));
    }

    @Test
    void attentionWithoutObservedRowsSaysWhy() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Layers.random(30, 0, 1).attention());
        assertTrue(e.getMessage().contains("observedQueries"), e.getMessage());
    }

    @Test
    void rejectsInconsistentLayouts() {
        float[] rows = new float[10 * 32];
        int[] positions = new int[10];
        float[] q = new float[64];
        assertMessage("cacheRows = 11", () -> new LayerView(K, rows, rows, positions, 32, 11, 0, 4, 2, 16, q, 1, 1f));
        assertMessage("cacheRows = -1", () -> new LayerView(K, rows, rows, positions, 32, -1, 0, 4, 2, 16, q, 1, 1f));
        assertMessage("firstRow must be in [0, 10]", () -> new LayerView(K, rows, rows, positions, 32, 10, 11, 4, 2, 16, q, 1, 1f));
        assertMessage("positive multiple of numKvHeads", () -> new LayerView(K, rows, rows, positions, 32, 10, 0, 3, 2, 16, q, 1, 1f));
        assertMessage("rowStride must be >= numKvHeads * headSize = 32", () -> new LayerView(K, rows, rows, positions, 31, 10, 0, 4, 2, 16, q, 1, 1f));
        assertMessage("observedRows must be in [0, 10]", () -> new LayerView(K, rows, rows, positions, 32, 10, 0, 4, 2, 16, q, 2, 1f));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
