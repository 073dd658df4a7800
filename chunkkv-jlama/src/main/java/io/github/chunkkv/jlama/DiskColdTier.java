package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Cold rows in a per-session temp file, read with positioned reads when a turn recalls them. The file is unlinked
 * right after it is opened (delete-on-open), so it vanishes with the process even if the JVM crashes; where the
 * file system refuses to unlink an open file, {@link #close()} deletes it. Only positions, block offsets
 * and chunk summaries stay on the heap. Rows that decoding promotes are read one by one; their bytes stay in the file
 * (unreferenced) until the next turn recalls everything and empties it.
 *
 * <p>A {@link RandomAccessFile}, not a {@code FileChannel}: an interrupt during a channel's I/O closes the channel for
 * good, and interrupting a generation must leave its session usable. The model lock serializes seek and access.
 */
final class DiskColdTier extends ColdTier {
    /**
     * One demoted block as written: {@code storedRows} rows from {@code offset}, each its codes then its scales, so a
     * run of consecutive rows is one read. Of those, the rows still cold: their positions and their index in the
     * block ({@code stored} is null while every stored row is still cold, saving 4 bytes a row of heap).
     */
    private record Extent(int[] positions, int[] stored, long offset, int storedRows) {
        int storedRow(int i) {
            return stored == null ? i : stored[i];
        }
    }

    /**
     * Unselected rows a read may span to join two runs of selected rows: one positioned read costs two system calls
     * (seek, read), about what copying this many rows of a 128-value head costs, and decoding reads a few dozen chunks
     * per layer and step.
     */
    private static final int MAX_READ_GAP_ROWS = 16;

    private final int codesPerRow, scalesPerRow, bytesPerRow;
    private final RandomAccessFile file;
    private final Path path;
    private final List<List<Extent>> layers = new ArrayList<>();
    private long end;

    private DiskColdTier(Kernels kernels, int layerCount, int rowStride, int headSize, int summaryChunk, RandomAccessFile file, Path path) {
        super(kernels, layerCount, rowStride, headSize, summaryChunk);
        this.codesPerRow = 2 * rowStride;
        this.scalesPerRow = 2 * (rowStride / headSize);
        this.bytesPerRow = codesPerRow + Float.BYTES * scalesPerRow;
        this.file = file;
        this.path = path;
        for (int l = 0; l < layerCount; l++) layers.add(new ArrayList<>());
    }

    static DiskColdTier open(Kernels kernels, int layerCount, int rowStride, int headSize, int summaryChunk) {
        try {
            Path path = Files.createTempFile("chunkkv-cold-", ".kv");
            RandomAccessFile file;
            try {
                file = new RandomAccessFile(path.toFile(), "rw");
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(path);
                throw e;
            }
            try {
                Files.deleteIfExists(path);
            } catch (IOException notOnThisFileSystem) {
                // close() deletes it when the session closes
            }
            return new DiskColdTier(kernels, layerCount, rowStride, headSize, summaryChunk, file, path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cold-tier file of a recall=disk session in " + System.getProperty("java.io.tmpdir"), e);
        }
    }

    /** Where the file was created (unlinked at once on POSIX file systems). */
    Path path() {
        return path;
    }

    @Override
    void write(int layer, ColdRows rows) {
        ByteBuffer buf = ByteBuffer.allocate(rows.rows() * bytesPerRow).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows.rows(); r++) {
            buf.put(rows.codes(), r * codesPerRow, codesPerRow);
            for (int i = 0; i < scalesPerRow; i++) buf.putFloat(rows.scales()[r * scalesPerRow + i]);
        }
        buf.rewind();
        try {
            long at = end;
            file.seek(at);
            file.write(buf.array(), buf.position(), buf.remaining());
            at += buf.remaining();
            layers.get(layer).add(new Extent(rows.positions(), null, end, rows.rows()));
            end = at;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the cold-tier file of a recall=disk session", e);
        }
    }

    @Override
    ColdRows rows(int layer) {
        List<ColdRows> blocks = new ArrayList<>();
        for (Extent e : layers.get(layer)) {
            byte[] codes = new byte[e.storedRows * codesPerRow];
            float[] scales = new float[e.storedRows * scalesPerRow];
            decodeRows(readBytes(e.offset, (long) e.storedRows * bytesPerRow), e.storedRows, codes, scales, 0);
            blocks.add(e.stored == null ? new ColdRows(e.positions, codes, scales)
                    : new ColdRows(e.positions, pick(codes, e.stored, codesPerRow), pick(scales, e.stored, scalesPerRow)));
        }
        return ColdRows.sortedConcat(blocks);
    }

    @Override
    ColdRows read(int layer, IntPredicate selected) {
        return collect(layer, selected, false);
    }

    @Override
    ColdRows take(int layer, IntPredicate selected) {
        return collect(layer, selected, true);
    }

    /** The selected rows, read one by one; {@code remove} also drops them from the tier (their bytes stay in the file). */
    private ColdRows collect(int layer, IntPredicate selected, boolean remove) {
        List<ColdRows> taken = new ArrayList<>();
        List<Extent> extents = layers.get(layer);
        for (int x = 0; x < extents.size(); x++) {
            Extent e = extents.get(x);
            int n = e.positions.length, count = 0;
            int[] picked = new int[n];
            for (int i = 0; i < n; i++) if (selected.test(e.positions[i])) picked[count++] = i;
            if (count == 0) continue;
            int[] positions = new int[count];
            byte[] codes = new byte[count * codesPerRow];
            float[] scales = new float[count * scalesPerRow];
            int[] restPositions = new int[n - count], restStored = new int[n - count];
            for (int t = 0; t < count; ) { // runs of rows stored near each other (chunks, typically) are one read
                int first = e.storedRow(picked[t]), run = 1;
                while (t + run < count && e.storedRow(picked[t + run]) - e.storedRow(picked[t + run - 1]) <= MAX_READ_GAP_ROWS + 1) run++;
                int last = e.storedRow(picked[t + run - 1]);
                ByteBuffer stored = readBytes(e.offset + (long) first * bytesPerRow, (long) (last - first + 1) * bytesPerRow);
                for (int i = t; i < t + run; i++) {
                    stored.position((e.storedRow(picked[i]) - first) * bytesPerRow);
                    decodeRows(stored, 1, codes, scales, i);
                    positions[i] = e.positions[picked[i]];
                }
                t += run;
            }
            for (int i = 0, t = 0, r = 0; i < n; i++) {
                if (t < count && picked[t] == i) {
                    t++;
                } else {
                    restPositions[r] = e.positions[i];
                    restStored[r++] = e.storedRow(i);
                }
            }
            if (remove) extents.set(x, new Extent(restPositions, restStored, e.offset, e.storedRows));
            taken.add(new ColdRows(positions, codes, scales));
        }
        extents.removeIf(e -> e.positions.length == 0);
        return ColdRows.sortedConcat(taken);
    }

    /** Splits {@code rows} rows as stored into codes and scales, from row {@code at} of those arrays. */
    private void decodeRows(ByteBuffer stored, int rows, byte[] codes, float[] scales, int at) {
        for (int r = at; r < at + rows; r++) {
            stored.get(codes, r * codesPerRow, codesPerRow);
            for (int i = 0; i < scalesPerRow; i++) scales[r * scalesPerRow + i] = stored.getFloat();
        }
    }

    /** {@code length} bytes of the file from {@code at}, little-endian, ready to read. */
    private ByteBuffer readBytes(long at, long length) {
        byte[] bytes = new byte[Math.toIntExact(length)];
        try {
            file.seek(at);
            file.readFully(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cold-tier file of a recall=disk session", e);
        }
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] pick(byte[] all, int[] rows, int perRow) {
        byte[] out = new byte[rows.length * perRow];
        for (int i = 0; i < rows.length; i++) System.arraycopy(all, rows[i] * perRow, out, i * perRow, perRow);
        return out;
    }

    private static float[] pick(float[] all, int[] rows, int perRow) {
        float[] out = new float[rows.length * perRow];
        for (int i = 0; i < rows.length; i++) System.arraycopy(all, rows[i] * perRow, out, i * perRow, perRow);
        return out;
    }

    @Override
    int[] positions(int layer) {
        int[] all = layers.get(layer).stream().flatMapToInt(e -> Arrays.stream(e.positions)).toArray();
        Arrays.sort(all);
        return all;
    }

    @Override
    int rowCount(int layer) {
        return layers.get(layer).stream().mapToInt(e -> e.positions.length).sum();
    }

    @Override
    void forget() {
        layers.forEach(List::clear);
        end = 0;
        try {
            file.setLength(0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot truncate the cold-tier file of a recall=disk session", e);
        }
    }

    @Override
    long rowRamBytes() {
        return layers.stream().flatMap(List::stream).mapToLong(e -> 4L * e.positions.length * (e.stored == null ? 1 : 2)).sum();
    }

    @Override
    long diskBytes() {
        return end;
    }

    @Override
    public void close() {
        layers.forEach(List::clear);
        end = 0;
        try {
            file.close();
            Files.deleteIfExists(path); // already unlinked on POSIX file systems
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the cold-tier file of a recall=disk session", e);
        }
    }
}
