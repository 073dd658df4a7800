package io.github.chunkkv.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.simd.Kernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The boundary-robust ChunkKV selectors ({@code chunkkv-shift}, {@code chunkkv-slide}, {@code chunkkv-peak}): a planted
 * span that the fixed
 * grid cuts is kept whole, flat scores reproduce the paper's grid, and on random scores of awkward sizes each equals
 * a plain reference written from its definition (lists, comparators and sets instead of prefix sums and packed keys).
 */
class BoundaryRobustSelectorsTest {
    private static final Kernels K = Kernels.preferred();

    private static Selector shift(String sizes) {
        return new ShiftedGridSelector(K, ChunkKvConfig.parse("chunkkv-shift:" + sizes));
    }

    private static Selector slide(String sizes) {
        return new SlidingChunkSelector(K, ChunkKvConfig.parse("chunkkv-slide:" + sizes));
    }

    private static Selector peak(String sizes) {
        return new PeakCentredSelector(K, ChunkKvConfig.parse("chunkkv-peak:" + sizes));
    }

    private static int[] window(int[] outside, int n, int window) {
        return IntStream.concat(Arrays.stream(outside), IntStream.range(n - window, n)).toArray();
    }

    @Test
    void aSpanAcrossAGridLineIsKeptWholeWhereTheFixedGridHalvesIt() {
        float[] scores = new float[168];
        Arrays.fill(scores, 0.01f);
        for (int p = 44; p < 54; p++) scores[p] = 0.5f; // crosses the line at 50, mostly in the chunk before it
        scores[48] = 1f; // the span's peak
        String oneChunk = "budget=42,window=32,chunk=10";
        int[] fixed = new TopChunkSelector(K, ChunkKvConfig.parse("chunkkv:" + oneChunk)).select(scores, 200, 0);
        assertArrayEquals(window(IntStream.range(40, 50).toArray(), 200, 32), fixed, "the fixed grid keeps 6 of the span's 10 tokens");
        int[] whole = window(IntStream.range(44, 54).toArray(), 200, 32);
        assertArrayEquals(whole, shift(oneChunk).select(scores, 200, 0));
        assertArrayEquals(whole, slide(oneChunk).select(scores, 200, 0));
        assertArrayEquals(whole, peak(oneChunk).select(scores, 200, 0), "4 before the peak, 5 after it");
    }

    @Test
    void peakChunksGrowAwayFromKeptNeighbours() {
        float[] scores = new float[40];
        Arrays.fill(scores, 0.01f);
        scores[20] = 1f;
        scores[22] = 0.9f; // inside the first peak's chunk: skipped
        scores[26] = 0.8f; // next to the first chunk [16, 25]: grows after it only
        assertArrayEquals(window(IntStream.range(16, 36).toArray(), 48, 8), peak("budget=28,window=8,chunk=10").select(scores, 48, 0));
        scores[1] = 0.95f; // at the start: grows after it
        assertArrayEquals(window(IntStream.concat(IntStream.range(0, 10), IntStream.range(16, 26)).toArray(), 48, 8),
                peak("budget=28,window=8,chunk=10").select(scores, 48, 0));
    }

    @Test
    void flatScoresGiveThePapersGrid() {
        float[] flat = new float[150];
        Arrays.fill(flat, 0.25f);
        for (String sizes : new String[] {"budget=46,window=16,chunk=10", "keep=0.2,window=16,chunk=7"}) {
            int[] paper = new TopChunkSelector(K, ChunkKvConfig.parse("chunkkv:" + sizes)).select(flat, 166, 0);
            assertArrayEquals(paper, shift(sizes).select(flat, 166, 0), sizes);
            assertArrayEquals(paper, slide(sizes).select(flat, 166, 0), sizes);
            assertArrayEquals(paper, peak(sizes).select(flat, 166, 0), sizes);
        }
    }

    /** The positions a reference keeps outside the window: scores, positions outside the window, chunk, chunks kept. */
    @FunctionalInterface
    private interface Reference {
        int[] kept(float[] scores, int len, int chunk, int chunks);
    }

    /** Random scores of awkward sizes (1, chunk ± 1, primes; tiny to large keep ratios) through the selector and its reference. */
    private static void matchesReference(String policy, long seed, Function<ChunkKvConfig, Selector> selector, Reference reference) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int chunk : new int[] {1, 2, 7, 10}) {
            for (int len : new int[] {1, chunk - 1, chunk + 1, 23, 61, 130}) {
                if (len < 1) continue;
                for (String size : new String[] {"keep=0.1", "keep=0.37", "keep=0.9", "budget=" + (8 + 2 * chunk + 1)}) {
                    float[] scores = random(rnd, len);
                    ChunkKvConfig config = ChunkKvConfig.parse(policy + ":" + size + ",window=8,chunk=" + chunk);
                    int chunks = new TopChunkSelector(K, config).chunksKept((len + chunk - 1) / chunk);
                    int[] expected = window(reference.kept(scores, len, chunk, chunks), len + 8, 8);
                    assertArrayEquals(expected, selector.apply(config).select(scores, len + 8, 0), config + " len " + len);
                }
            }
        }
    }

    @Test
    void shiftedGridEqualsItsReferenceOnRandomScores() {
        matchesReference("chunkkv-shift", 3, c -> new ShiftedGridSelector(K, c), BoundaryRobustSelectorsTest::shiftReference);
    }

    @Test
    void slidingChunksEqualTheirReferenceOnRandomScores() {
        matchesReference("chunkkv-slide", 5, c -> new SlidingChunkSelector(K, c), (scores, len, chunk, chunks) -> {
            int[] kept = slideReference(scores, len, chunk, chunks);
            assertEquals(Math.min(len, chunks * chunk), kept.length, "as many positions as the fixed grid's whole chunks");
            return kept;
        });
    }

    @Test
    void peakChunksEqualTheirReferenceOnRandomScores() {
        matchesReference("chunkkv-peak", 7, c -> new PeakCentredSelector(K, c), BoundaryRobustSelectorsTest::peakReference);
    }

    /** Best free position first; its chunk takes free neighbours after, before, after, ... (a blocked side is skipped). */
    private static int[] peakReference(float[] scores, int len, int chunk, int k) {
        int quota = Math.min(len, k * chunk);
        List<Integer> order = new ArrayList<>(IntStream.range(0, len).boxed().toList());
        order.sort(Comparator.<Integer>comparingDouble(p -> -scores[p]).thenComparingInt(p -> p));
        TreeSet<Integer> kept = new TreeSet<>();
        for (int peak : order) {
            if (kept.size() == quota) break;
            if (kept.contains(peak)) continue;
            List<Integer> run = new ArrayList<>(List.of(peak));
            int size = Math.min(chunk, quota - kept.size());
            for (int step = 0; run.size() < size; step++) {
                int after = run.stream().mapToInt(Integer::intValue).max().getAsInt() + 1;
                int before = run.stream().mapToInt(Integer::intValue).min().getAsInt() - 1;
                boolean afterFree = after < len && !kept.contains(after), beforeFree = before >= 0 && !kept.contains(before);
                if (!afterFree && !beforeFree) break;
                run.add(afterFree && (step % 2 == 0 || !beforeFree) ? after : before);
            }
            kept.addAll(run);
        }
        return kept.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Every grid offset, chunks ranked by mean (ties: earlier), the offset keeping the largest total (ties: smaller). */
    private static int[] shiftReference(float[] scores, int len, int chunk, int k) {
        List<Integer> best = null;
        double bestTotal = Double.NEGATIVE_INFINITY;
        for (int offset = 0; offset < Math.min(chunk, len); offset++) {
            List<int[]> chunks = new ArrayList<>(); // {from, to}
            if (offset > 0) chunks.add(new int[] {0, offset});
            for (int from = offset; from < len; from += chunk) chunks.add(new int[] {from, Math.min(len, from + chunk)});
            List<int[]> ranked = new ArrayList<>(chunks);
            ranked.sort(Comparator.<int[]>comparingDouble(c -> -(float) (total(scores, c[0], c[1]) / (c[1] - c[0])))
                    .thenComparingInt(c -> c[0]));
            List<int[]> kept = ranked.subList(0, Math.min(k, ranked.size()));
            double keptTotal = kept.stream().mapToDouble(c -> total(scores, c[0], c[1])).sum();
            if (keptTotal > bestTotal) {
                bestTotal = keptTotal;
                best = kept.stream().flatMap(c -> IntStream.range(c[0], c[1]).boxed()).sorted().toList();
            }
        }
        return best.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Runs of {@code chunk} by total (ties: earlier), taken greedily without overlap; the rest of the quota by score. */
    private static int[] slideReference(float[] scores, int len, int chunk, int k) {
        int quota = Math.min(len, k * chunk);
        List<Integer> starts = new ArrayList<>(IntStream.rangeClosed(0, len - chunk).boxed().toList());
        starts.sort(Comparator.<Integer>comparingDouble(s -> -(float) total(scores, s, s + chunk)).thenComparingInt(s -> s));
        TreeSet<Integer> taken = new TreeSet<>();
        for (int s : starts) {
            if (taken.size() + chunk > quota) break;
            if (IntStream.range(s, s + chunk).noneMatch(taken::contains)) IntStream.range(s, s + chunk).forEach(taken::add);
        }
        List<Integer> free = new ArrayList<>(IntStream.range(0, len).filter(p -> !taken.contains(p)).boxed().toList());
        free.sort(Comparator.<Integer>comparingDouble(p -> -scores[p]).thenComparingInt(p -> p));
        taken.addAll(free.subList(0, quota - taken.size()));
        return taken.stream().mapToInt(Integer::intValue).toArray();
    }

    private static double total(float[] scores, int from, int to) {
        double sum = 0;
        for (int p = from; p < to; p++) sum += scores[p];
        return sum;
    }

    private static float[] random(SplittableRandom rnd, int len) {
        float[] scores = new float[len];
        for (int i = 0; i < len; i++) scores[i] = (float) rnd.nextDouble();
        return scores;
    }
}
