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

/**
 * Cold rows in a per-session temp file, read back when a turn recalls them. The file is unlinked right after it is
 * opened (delete-on-open), so it vanishes with the process even if the JVM crashes; where the file system refuses to
 * unlink an open file, {@link #close()} deletes it. Only positions and block offsets stay on the heap.
 *
 * <p>A {@link RandomAccessFile}, not a {@code FileChannel}: an interrupt during a channel's I/O closes the channel for
 * good, and interrupting a generation must leave its session usable. The model lock serializes seek and access.
 */
final class DiskColdTier extends ColdTier {
    /** One demoted block: its positions, and where its codes and scales lie in the file. */
    private record Extent(int[] positions, long offset, int codeBytes, int scaleCount) {}

    private final RandomAccessFile file;
    private final Path path;
    private final List<List<Extent>> layers = new ArrayList<>();
    private long end;

    private DiskColdTier(Kernels kernels, int layerCount, int rowStride, int headSize, RandomAccessFile file, Path path) {
        super(kernels, rowStride, headSize);
        this.file = file;
        this.path = path;
        for (int l = 0; l < layerCount; l++) layers.add(new ArrayList<>());
    }

    static DiskColdTier open(Kernels kernels, int layerCount, int rowStride, int headSize) {
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
            return new DiskColdTier(kernels, layerCount, rowStride, headSize, file, path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cold-tier file of a recall=disk session in " + System.getProperty("java.io.tmpdir"), e);
        }
    }

    /** Where the file was created (unlinked at once on POSIX file systems). */
    Path path() {
        return path;
    }

    @Override
    void store(int layer, ColdRows rows) {
        if (rows.rows() == 0) return;
        ByteBuffer buf = ByteBuffer.allocate(rows.codes().length + 4 * rows.scales().length).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(rows.codes()).asFloatBuffer().put(rows.scales());
        try {
            file.seek(end);
            file.write(buf.array());
            layers.get(layer).add(new Extent(rows.positions(), end, rows.codes().length, rows.scales().length));
            end += buf.capacity();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the cold-tier file of a recall=disk session", e);
        }
    }

    @Override
    ColdRows rows(int layer) {
        List<ColdRows> blocks = new ArrayList<>();
        try {
            for (Extent e : layers.get(layer)) {
                byte[] bytes = new byte[e.codeBytes + 4 * e.scaleCount];
                file.seek(e.offset);
                file.readFully(bytes);
                ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                byte[] codes = new byte[e.codeBytes];
                float[] scales = new float[e.scaleCount];
                buf.get(codes).asFloatBuffer().get(scales);
                blocks.add(new ColdRows(e.positions, codes, scales));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cold-tier file of a recall=disk session", e);
        }
        return ColdRows.sortedConcat(blocks);
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
    void clear() {
        layers.forEach(List::clear);
        end = 0;
        try {
            file.setLength(0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot truncate the cold-tier file of a recall=disk session", e);
        }
    }

    @Override
    long ramBytes() {
        return 4L * layers.stream().flatMap(List::stream).mapToLong(e -> e.positions.length).sum();
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
