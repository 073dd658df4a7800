package io.github.chunkkv.jlama;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** All-or-nothing file writes: a temp file in the target's directory, flushed to disk, then atomically renamed. */
public final class SnapshotFiles {
    /** Writes the body to the stream it is given. */
    @FunctionalInterface
    public interface Body {
        /**
         * Writes the whole content to {@code out} (unbuffered: wrap it for small writes); the caller flushes and closes it.
         * @throws IOException to abandon the write: the temp file is deleted and the target left as it was
         */
        void writeTo(OutputStream out) throws IOException;
    }

    private SnapshotFiles() {}

    /** Writes {@code target} with the bytes {@code body} produces; on any failure nothing is left behind. */
    public static void writeAtomically(Path target, Body body) {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path temp = null;
        try {
            temp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                    OutputStream out = Channels.newOutputStream(channel)) {
                body.writeTo(out);
                out.flush();
                channel.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new UncheckedIOException("cannot save snapshot to " + absolute + ": " + e, e instanceof IOException io ? io : new IOException(e));
        }
    }
}
