package io.github.chunkkv.jlama;

/**
 * Of indices [0, n), the at most {@code k} whose score is highest and reaches a threshold, ascending, ties toward the
 * lower index (the order of {@link io.github.chunkkv.simd.Kernels#topK}). Decode-time recall selects a few dozen of a
 * few hundred chunks per layer and step: a quickselect over the passing scores costs a few comparisons per chunk, and
 * the arrays are reused across calls, so a step selects without allocating.
 */
final class TopScores {
    private int[] ids = new int[0];
    private float[] passing = new float[0];

    /** Selects from {@code scores[0, n)}; returns how many were selected, which {@link #ids()} then holds first. */
    int select(float[] scores, int n, int k, float threshold) {
        if (ids.length < n) {
            ids = new int[n];
            passing = new float[n];
        }
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (scores[i] >= threshold) {
                ids[count] = i;
                passing[count++] = scores[i];
            }
        }
        if (count <= k) return count;
        if (k == 0) return 0;
        float kth = kthLargest(passing, count, k);
        int ties = k;
        for (int i = 0; i < count; i++) if (scores[ids[i]] > kth) ties--;
        int selected = 0;
        for (int i = 0; i < count && selected < k; i++) {
            float score = scores[ids[i]];
            if (score > kth || (score == kth && ties-- > 0)) ids[selected++] = ids[i];
        }
        return selected;
    }

    /** The selected indices, ascending, in {@code ids()[0, select(...))}; overwritten by the next selection. */
    int[] ids() {
        return ids;
    }

    /** Hoare's quickselect of the k-th largest of a[0, n), 1 <= k <= n; reorders a. */
    private static float kthLargest(float[] a, int n, int k) {
        int target = n - k, lo = 0, hi = n - 1;
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    float t = a[i];
                    a[i++] = a[j];
                    a[j--] = t;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return a[target];
        }
        return a[target];
    }
}
