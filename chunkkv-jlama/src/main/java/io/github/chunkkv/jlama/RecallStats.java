package io.github.chunkkv.jlama;

/**
 * The two tiers of a session with recall after one re-selection (a prefill, or a decoding cap that fired), all
 * layers summed.
 *
 * @param hotRows rows decoding reads (float32)
 * @param hotBytes K+V bytes of the hot rows
 * @param coldRows rows in the cold tier
 * @param coldRamBytes cold-tier bytes on the heap (for {@code recall=disk}: only the rows' positions)
 * @param coldDiskBytes cold-tier bytes in the session's file
 * @param promoted rows that were cold before and are hot now
 * @param demoted rows that were hot (or new) before and are cold now (0 without recall: evicted rows are dropped)
 * @param reselectNanos time spent recalling cold rows, scoring, selecting and demoting (the prefill itself excluded)
 */
public record RecallStats(long hotRows, long hotBytes, long coldRows, long coldRamBytes, long coldDiskBytes, long promoted,
        long demoted, long reselectNanos) {

    /** Bytes the session keeps resident: hot rows and whatever the cold tier holds on the heap. */
    public long residentBytes() {
        return hotBytes + coldRamBytes;
    }

    @Override
    public String toString() {
        return String.format("hot_rows=%d hot_bytes=%d cold_rows=%d cold_ram_bytes=%d cold_disk_bytes=%d promoted=%d demoted=%d reselect=%.2fms",
                hotRows, hotBytes, coldRows, coldRamBytes, coldDiskBytes, promoted, demoted, reselectNanos / 1e6);
    }
}
