package io.github.chunkkv.jlama;

import io.github.chunkkv.config.ChunkKvConfig;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The binary snapshot of a session (big-endian): magic {@code CHUNKKV\0}, version, a header (model fingerprint,
 * policy spec, position, compressedUpTo, pending token, which stats follow, hot and cold rows per layer), then the
 * tokens, every layer's hot rows (positions, float32 keys and values), every layer's cold rows (positions, Q8 codes
 * and scales as the cold tier holds them), the stats, and a CRC32C of everything before it.
 *
 * <p>A snapshot file is untrusted input: the header is validated against the model and the body length it implies
 * must equal the file length, and the checksum must match, before anything the size of a row is allocated.
 */
final class SessionSnapshot {
    static final int VERSION = 1;
    private static final byte[] MAGIC = {'C', 'H', 'U', 'N', 'K', 'K', 'V', 0};
    private static final int HAS_STATS = 1, HAS_RECALL_STATS = 2;
    private static final int COMPRESSION_STATS_LONGS = 6, RECALL_STATS_LONGS = 8;

    /** What the header says; every size is checked against the model before the body is read. */
    private record Header(ModelFingerprint model, String spec, int position, int compressedUpTo, int pendingToken, int flags,
            int[] hotRows, int[] coldRows) {
        void write(DataOutputStream out) throws IOException {
            out.write(MAGIC);
            out.writeInt(VERSION);
            model.write(out);
            out.writeUTF(spec);
            out.writeInt(position);
            out.writeInt(compressedUpTo);
            out.writeInt(pendingToken);
            out.writeByte(flags);
            for (int n : hotRows) out.writeInt(n);
            for (int n : coldRows) out.writeInt(n);
        }

        long bytes() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            write(new DataOutputStream(b));
            return b.size();
        }
    }

    private SessionSnapshot() {}

    static void write(KvSession s, ModelFingerprint model, OutputStream raw) throws IOException {
        int layers = s.layers();
        int[] hot = new int[layers], cold = new int[layers];
        ColdRows[] coldRows = new ColdRows[layers];
        for (int l = 0; l < layers; l++) {
            hot[l] = s.cachedRows(l);
            coldRows[l] = s.coldTier() == null ? ColdRows.EMPTY : s.coldTier().rows(l);
            cold[l] = coldRows[l].rows();
        }
        CompressionStats stats = s.lastStats();
        RecallStats recall = s.lastRecallStats();
        int flags = (stats == null ? 0 : HAS_STATS) | (recall == null ? 0 : HAS_RECALL_STATS);
        CRC32C crc = new CRC32C();
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new CheckedOutputStream(raw, crc), 1 << 16));
        new Header(model, s.config().toSpec(), s.position(), s.compressedUpTo(), s.pendingToken(), flags, hot, cold).write(out);
        for (int t : s.tokens()) out.writeInt(t);
        for (int l = 0; l < layers; l++) {
            LayerKvCache c = s.cache(l);
            for (int p : c.positions()) out.writeInt(p);
            int floats = c.size() * c.rowStride();
            float[] keys = c.keys(), values = c.values();
            for (int i = 0; i < floats; i++) out.writeFloat(keys[i]);
            for (int i = 0; i < floats; i++) out.writeFloat(values[i]);
        }
        for (ColdRows c : coldRows) {
            for (int p : c.positions()) out.writeInt(p);
            out.write(c.codes());
            for (float f : c.scales()) out.writeFloat(f);
        }
        if (stats != null) {
            out.writeInt(stats.promptTokens());
            out.writeInt(stats.cachedBefore());
            for (int k : stats.keptPerLayer()) out.writeInt(k);
            for (long v : new long[] {stats.kvBytesBefore(), stats.kvBytesAfter(), stats.scoreNanos(), stats.selectNanos(),
                    stats.compactNanos(), stats.prefillNanos()}) out.writeLong(v);
        }
        if (recall != null) {
            for (long v : new long[] {recall.hotRows(), recall.hotBytes(), recall.coldRows(), recall.coldRamBytes(),
                    recall.coldDiskBytes(), recall.promoted(), recall.demoted(), recall.reselectNanos()}) out.writeLong(v);
        }
        out.flush();
        new DataOutputStream(raw).writeInt((int) crc.getValue());
    }

    /** Where snapshot bytes are read from: a file, or bytes a cache store returned. */
    interface Source {
        long size() throws IOException;

        InputStream open() throws IOException;

        /** A file: read where it lies. */
        static Source of(Path file) {
            return new Source() {
                @Override
                public long size() throws IOException {
                    return Files.size(file);
                }

                @Override
                public InputStream open() throws IOException {
                    return Files.newInputStream(file);
                }

                @Override
                public String toString() {
                    return file.toString();
                }
            };
        }

        /** Bytes in memory, named {@code name} in messages. */
        static Source of(byte[] bytes, String name) {
            return new Source() {
                @Override
                public long size() {
                    return bytes.length;
                }

                @Override
                public InputStream open() {
                    return new ByteArrayInputStream(bytes);
                }

                @Override
                public String toString() {
                    return name;
                }
            };
        }
    }

    /**
     * Validates {@code file} against {@code model}, then restores it into a session that {@code newSession} opens with
     * the snapshot's policy. On any failure that session is closed and the exception names the problem.
     */
    static KvSession read(Source file, ModelFingerprint model, int maxPositions, Function<ChunkKvConfig, KvSession> newSession) {
        try {
            long size = file.size();
            Header h;
            try (DataInputStream in = open(file)) {
                h = readHeader(in, model, maxPositions, file);
            } catch (EOFException e) {
                throw invalid(file, "is truncated: the file ends inside its header (" + size + " bytes)");
            }
            long expected = h.bytes() + bodyBytes(h, model) + Integer.BYTES;
            if (size < expected) throw invalid(file, "is truncated: " + size + " bytes, its header describes " + expected);
            if (size > expected) throw invalid(file, "is corrupt: " + size + " bytes, its header describes only " + expected);
            checkCrc(file, size);
            KvSession session = newSession.apply(ChunkKvConfig.parse(h.spec()));
            try (DataInputStream in = open(file)) {
                in.skipNBytes(h.bytes());
                readBody(in, h, model, session, file);
                return session;
            } catch (IOException | RuntimeException e) {
                session.markClosed("its snapshot could not be read");
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read snapshot " + file + ": " + e.getMessage(), e);
        }
    }

    private static DataInputStream open(Source file) throws IOException {
        return new DataInputStream(new BufferedInputStream(file.open(), 1 << 16));
    }

    private static Header readHeader(DataInputStream in, ModelFingerprint model, int maxPositions, Source file) throws IOException {
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) throw invalid(file, "is not a ChunkKV session snapshot (bad magic)");
        int version = in.readInt();
        if (version != VERSION) {
            throw invalid(file, "has format version " + version + "; this library reads version " + VERSION
                    + (version > VERSION ? " (saved by a newer library)" : ""));
        }
        ModelFingerprint saved = ModelFingerprint.read(in);
        String mismatch = saved.mismatch(model);
        if (mismatch != null) throw invalid(file, "cannot be loaded: " + mismatch);
        String spec = in.readUTF();
        ChunkKvConfig config;
        try {
            config = ChunkKvConfig.parse(spec);
        } catch (IllegalArgumentException e) {
            throw invalid(file, "has an invalid policy spec '" + spec + "': " + e.getMessage());
        }
        int position = in.readInt(), compressedUpTo = in.readInt(), pendingToken = in.readInt(), flags = in.readUnsignedByte();
        check(position >= 0 && position <= maxPositions, file, "position", position, "[0, " + maxPositions + "]");
        check(compressedUpTo >= 0 && compressedUpTo <= position, file, "compressedUpTo", compressedUpTo, "[0, position = " + position + "]");
        check(pendingToken >= -1 && pendingToken < model.vocab(), file, "pending token", pendingToken, "[-1, " + model.vocab() + ")");
        check((flags & ~(HAS_STATS | HAS_RECALL_STATS)) == 0, file, "stats flags", flags, "[0, 3]");
        int[] hot = new int[model.layers()], cold = new int[model.layers()];
        for (int l = 0; l < hot.length; l++) {
            hot[l] = in.readInt();
            check(hot[l] >= 0 && hot[l] <= position, file, "hot rows of layer " + l, hot[l], "[0, position = " + position + "]");
        }
        for (int l = 0; l < cold.length; l++) {
            cold[l] = in.readInt();
            check(cold[l] >= 0 && cold[l] <= position - hot[l], file, "cold rows of layer " + l, cold[l],
                    "[0, position - hot rows = " + (position - hot[l]) + "]");
            check(cold[l] == 0 || config.recalls(), file, "cold rows of layer " + l, cold[l], "0 (the policy has recall=off)");
        }
        return new Header(saved, spec, position, compressedUpTo, pendingToken, flags, hot, cold);
    }

    private static long bodyBytes(Header h, ModelFingerprint m) {
        long rowStride = (long) m.kvHeads() * m.headSize();
        long bytes = 4L * h.position();
        for (int l = 0; l < m.layers(); l++) {
            bytes += h.hotRows()[l] * (4 + 2 * rowStride * 4);
            bytes += h.coldRows()[l] * (4 + 2 * rowStride + 2L * m.kvHeads() * 4);
        }
        if ((h.flags() & HAS_STATS) != 0) bytes += 8 + 4L * m.layers() + 8L * COMPRESSION_STATS_LONGS;
        if ((h.flags() & HAS_RECALL_STATS) != 0) bytes += 8L * RECALL_STATS_LONGS;
        return bytes;
    }

    private static void checkCrc(Source file, long size) throws IOException {
        CRC32C crc = new CRC32C();
        try (InputStream in = file.open()) {
            byte[] buf = new byte[1 << 16];
            for (long left = size - Integer.BYTES; left > 0; ) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) throw new EOFException();
                crc.update(buf, 0, n);
                left -= n;
            }
            int stored = new DataInputStream(in).readInt();
            if (stored != (int) crc.getValue()) throw invalid(file, "is corrupt: its CRC32C checksum does not match its content");
        }
    }

    private static void readBody(DataInputStream in, Header h, ModelFingerprint m, KvSession session, Source file) throws IOException {
        int[] tokens = readInts(in, h.position());
        for (int i = 0; i < tokens.length; i++) check(tokens[i] >= 0 && tokens[i] < m.vocab(), file, "token " + i, tokens[i], "[0, " + m.vocab() + ")");
        int rowStride = m.kvHeads() * m.headSize();
        for (int l = 0; l < m.layers(); l++) {
            int[] positions = readPositions(in, h.hotRows()[l], h.position(), file, "hot", l);
            float[] keys = readFloats(in, positions.length * rowStride), values = readFloats(in, positions.length * rowStride);
            session.cache(l).merge(keys, values, positions);
        }
        for (int l = 0; l < m.layers(); l++) {
            int[] positions = readPositions(in, h.coldRows()[l], h.position(), file, "cold", l);
            byte[] codes = in.readNBytes(positions.length * 2 * rowStride);
            float[] scales = readFloats(in, positions.length * 2 * m.kvHeads());
            if (session.cache(l).slotsOf(positions).length > 0) throw invalid(file, "is corrupt: layer " + l + " has a position both hot and cold");
            if (positions.length > 0) session.coldTier().store(l, new ColdRows(positions, codes, scales));
        }
        CompressionStats stats = null;
        if ((h.flags() & HAS_STATS) != 0) {
            int prompt = in.readInt(), cachedBefore = in.readInt();
            int[] kept = readInts(in, m.layers());
            long[] v = readLongs(in, COMPRESSION_STATS_LONGS);
            long[] allocated = new long[m.layers()]; // not stored: what this session allocated while loading the rows
            for (int l = 0; l < allocated.length; l++) allocated[l] = session.cache(l).allocatedBytes();
            stats = new CompressionStats(prompt, cachedBefore, kept, v[0], v[1], allocated, v[2], v[3], v[4], v[5]);
        }
        RecallStats recall = null;
        if ((h.flags() & HAS_RECALL_STATS) != 0) {
            long[] v = readLongs(in, RECALL_STATS_LONGS);
            recall = new RecallStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        }
        session.restore(tokens, h.compressedUpTo(), h.pendingToken(), stats, recall);
    }

    private static int[] readPositions(DataInputStream in, int n, int position, Source file, String tier, int layer) throws IOException {
        int[] p = readInts(in, n);
        for (int i = 0; i < n; i++) {
            if (p[i] < 0 || p[i] >= position || (i > 0 && p[i] <= p[i - 1])) {
                throw invalid(file, "is corrupt: " + tier + " positions of layer " + layer + " must be strictly ascending in [0, " + position + ")");
            }
        }
        return p;
    }

    private static int[] readInts(DataInputStream in, int n) throws IOException {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = in.readInt();
        return v;
    }

    private static long[] readLongs(DataInputStream in, int n) throws IOException {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = in.readLong();
        return v;
    }

    private static float[] readFloats(DataInputStream in, int n) throws IOException {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = in.readFloat();
        return v;
    }

    private static void check(boolean ok, Source file, String what, long value, String range) {
        if (!ok) throw invalid(file, "is corrupt: " + what + " must be in " + range + ", got " + value);
    }

    private static IllegalArgumentException invalid(Source file, String problem) {
        return new IllegalArgumentException("snapshot " + file + " " + problem);
    }
}
