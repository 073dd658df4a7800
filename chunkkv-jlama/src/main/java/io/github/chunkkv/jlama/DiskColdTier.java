package io.github.chunkkv.jlama;

import io.github.chunkkv.simd.Kernels;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.IntPredicate;

/**
 * Cold rows in a per-session temp file, read with positioned reads when a turn recalls them. The file is unlinked
 * right after it is opened (delete-on-open), so it vanishes with the process even if the JVM crashes; where the
 * file system refuses to unlink an open file, {@link #close()} deletes it. Only positions, block offsets
 * and the key sketch stay on the heap. Rows that decoding promotes are read one by one; their bytes stay in the file
 * (unreferenced) until the next turn recalls everything and empties it.
 *
 * <p>Decode-time recall scores a few dozen chunks' keys per layer and step. Positioned reads cost two system calls
 * each (measured on needle-lm: reading the screened chunks took longer than the rest of the recall work together), so
 * those keys are read from a read-only memory mapping of each block instead, at memory speed: the pages are the
 * operating system's file cache, not the heap, and it may evict them. Java 21 cannot unmap a buffer: a mapping lasts
 * until the garbage collector frees it, so the file's disk space returns then (it is unlinked already).
 *
 * <p>A {@link RandomAccessFile}, not a {@code FileChannel}, for reads and writes: an interrupt during a channel's I/O
 * closes the channel for good, and interrupting a generation must leave its session usable; a block is mapped on a
 * thread of its own for the same reason. The model lock serializes seek and access.
 */
final class DiskColdTier extends ColdTier {
    /**
     * One demoted block as written: {@code storedRows} rows from {@code offset}, each its codes then its scales, so a
     * run of consecutive rows is one read. Of those, the rows still cold: their positions and their index in the
     * block ({@code stored} is null while every stored row is still cold, saving 4 bytes a row of heap).
     */
    private static final class Extent {
        final int[] positions, stored;
        final long offset;
        final int storedRows;
        private ByteBuffer mapped; // the stored rows, mapped when decoding first reads them

        Extent(int[] positions, int[] stored, long offset, int storedRows, ByteBuffer mapped) {
            this.positions = positions;
            this.stored = stored;
            this.offset = offset;
            this.storedRows = storedRows;
            this.mapped = mapped;
        }

        int storedRow(int i) {
            return stored == null ? i : stored[i];
        }
    }

    /** Maps blocks: a fresh thread has no interrupt pending and is one that a generation's interrupt cannot reach. */
    private static final Executor MAPPER = task -> Thread.ofVirtual().name("chunkkv-cold-map").start(task);

    /**
     * Unselected rows a read may span to join two runs of selected rows: one positioned read costs two system calls
     * (seek, read), about what copying this many rows of a 128-value head costs, and decoding reads a few dozen chunks
     * per layer and step.
     */
    private static final int MAX_READ_GAP_ROWS = 16;
    /** A little-endian float in a byte array, as rows are stored. */
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private final int codesPerRow, scalesPerRow, bytesPerRow;
    private final RandomAccessFile file;
    private final Path path;
    private final List<List<Extent>> layers = new ArrayList<>();
    private long end;
    /** Whole stored rows and key scales that {@link #locateKeys} copies out of the mappings; grown, never shrunk. */
    private byte[] keyRows = new byte[0];
    private float[] keyScales = new float[0];

    private DiskColdTier(Kernels kernels, int layerCount, int rowStride, int headSize, int sketchChunk, RandomAccessFile file, Path path) {
        // Only positions and the sketch stay in RAM, so the sketch is what resident memory grows by: a sixth of the head
        // size in codes, with the tail's code, the remainder and the tail's F16 directions, keeps a needle-lm session
        // within 15% of FullKV (14.4-14.7% in its multi-turn evaluation).
        super(kernels, layerCount, rowStride, headSize, sketchChunk, headSize / 6);
        this.codesPerRow = 2 * rowStride;
        this.scalesPerRow = 2 * (rowStride / headSize);
        this.bytesPerRow = codesPerRow + Float.BYTES * scalesPerRow;
        this.file = file;
        this.path = path;
        for (int l = 0; l < layerCount; l++) layers.add(new ArrayList<>());
    }

    static DiskColdTier open(Kernels kernels, int layerCount, int rowStride, int headSize, int sketchChunk) {
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
            return new DiskColdTier(kernels, layerCount, rowStride, headSize, sketchChunk, file, path);
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
            layers.get(layer).add(new Extent(rows.positions(), null, end, rows.rows(), null));
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

    /**
     * Copies each chunk's stored rows out of the mapped blocks into scratch, whole (values too) so that a run of rows
     * stored one after another is one bulk copy; rows of several blocks one after another: a chunk demoted in parts
     * lies in several. Measured on needle-lm's bench decoding (chunks of 10 rows), locating a chunk took 0.8 µs
     * copying each row's key codes and scale by itself, 0.65 µs copying runs of whole rows.
     */
    @Override
    void locateKeys(int layer, int[] chunkIds, int count, int chunk, ChunkKeys keys) {
        int rows = 0;
        for (int i = 0; i < count; i++) {
            int first = rows;
            for (Extent e : layers.get(layer)) {
                int from = ColdRows.firstAtOrAfter(e.positions, chunkIds[i] * chunk);
                int to = ColdRows.firstAtOrAfter(e.positions, (chunkIds[i] + 1) * chunk);
                if (from == to) continue;
                ByteBuffer stored = mapped(e);
                if (keyRows.length < (rows + to - from) * bytesPerRow) {
                    keyRows = Arrays.copyOf(keyRows, 2 * (rows + to - from) * bytesPerRow);
                    keyScales = Arrays.copyOf(keyScales, 2 * (rows + to - from) * kvHeads);
                }
                for (int r = from; r < to; ) {
                    int run = 1; // rows stored one after another
                    while (r + run < to && e.storedRow(r + run) == e.storedRow(r) + run) run++;
                    stored.get(e.storedRow(r) * bytesPerRow, keyRows, rows * bytesPerRow, run * bytesPerRow);
                    for (int k = 0; k < run; k++, rows++) {
                        for (int g = 0; g < kvHeads; g++) {
                            keyScales[rows * kvHeads + g] = (float) FLOAT.get(keyRows, rows * bytesPerRow + codesPerRow + Float.BYTES * g);
                        }
                    }
                    r += run;
                }
            }
            keys.chunk(i, first, rows);
        }
        keys.rows(keyRows, bytesPerRow, keyScales, kvHeads);
    }

    private ByteBuffer mapped(Extent e) {
        if (e.mapped == null) {
            long length = (long) e.storedRows * bytesPerRow;
            try {
                e.mapped = CompletableFuture.supplyAsync(() -> {
                    try {
                        return file.getChannel().map(FileChannel.MapMode.READ_ONLY, e.offset, length).order(ByteOrder.LITTLE_ENDIAN);
                    } catch (IOException failed) {
                        throw new UncheckedIOException("cannot map the cold-tier file of a recall=disk session", failed);
                    }
                }, MAPPER).join();
            } catch (CompletionException failed) {
                throw failed.getCause() instanceof RuntimeException cause ? cause : failed;
            }
        }
        return e.mapped;
    }

    /** Removes and returns the chunks' rows, read a run at a time (their bytes stay in the file). */
    @Override
    ColdRows takeChunks(int layer, int[] chunkIds, int chunk) {
        IntPredicate selected = position -> Arrays.binarySearch(chunkIds, position / chunk) >= 0;
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
            extents.set(x, new Extent(restPositions, restStored, e.offset, e.storedRows, e.mapped));
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
        int rows = 0;
        for (Extent e : layers.get(layer)) rows += e.positions.length; // every decode step asks: no stream
        return rows;
    }

    @Override
    void forget() {
        layers.forEach(List::clear);
        end = 0;
        try {
            file.setLength(0);
        } catch (IOException mappedOnWindows) {
            // Windows refuses to truncate a file while a mapping of it lives (until the collector frees it): later
            // writes overwrite the bytes from offset 0 instead, and nothing reads past what they wrote
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
