package io.github.chunkkv.examples.snapshot;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import io.github.chunkkv.cli.ExitCodes;
import io.github.chunkkv.config.ChunkKvConfig;
import io.github.chunkkv.examples.EmbeddedModel;
import io.github.chunkkv.jlama.ChunkKvJlama;
import io.github.chunkkv.jlama.ChunkKvModel;
import io.github.chunkkv.jlama.CompressionStats;
import io.github.chunkkv.jlama.KvSession;
import io.github.chunkkv.store.KvCacheStore;
import io.github.chunkkv.store.SharedSessions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./chunkkv snapshot}: prefills a document once, compresses its KV cache with no question in sight and saves
 * the session, so that {@code ./chunkkv ask} answers any number of questions about it without prefilling it again; or
 * publishes it to a shared store, where every chat model built with that store and policy continues it when a prompt
 * starts with the document (see {@link SharedSessions}).
 */
@Command(name = "snapshot",
        description = "Prefills a document, compresses its KV cache query-agnostically and saves the session to a snapshot file"
                + " and/or publishes it to a shared store (Redis or a folder).")
public final class SnapshotCommand implements Callable<Integer> {
    /**
     * Recall keeps every evicted row answerable: each question recalls them and re-selects the hot rows itself. No probe:
     * measured on needle-lm, probe=repeat answered no more questions and tripled the snapshot's prefill (see the README).
     */
    public static final String DEFAULT_POLICY = "chunkkv:keep=0.1,recall=ram";

    @Option(names = "--model", paramLabel = "DIR", description = "Jlama model folder (default: the embedded models/needle-lm)")
    Path model;

    @Option(names = "--document", required = true, paramLabel = "FILE", description = "UTF-8 text file to prefill")
    Path document;

    @Option(names = "--out", paramLabel = "FILE", description = "snapshot file to write (replaced atomically)")
    Path out;

    @Option(names = "--publish", paramLabel = "STORE", description = "store to publish the document's session to: redis://HOST:PORT or a folder")
    String publish;

    @Option(names = "--ttl", paramLabel = "SECONDS", defaultValue = "86400", description = "how long the published entry lives (default: ${DEFAULT-VALUE})")
    long ttlSeconds;

    @Option(names = "--policy", paramLabel = "SPEC", defaultValue = DEFAULT_POLICY, description = "KV policy spec (default: ${DEFAULT-VALUE})")
    String policy;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return ExitCodes.commandLine(new SnapshotCommand());
    }

    @Override
    public Integer call() throws IOException {
        if (out == null && publish == null) throw new IllegalArgumentException("give --out FILE, --publish STORE or both");
        if (ttlSeconds < 1) throw new IllegalArgumentException("--ttl must be >= 1 second, got " + ttlSeconds);
        ChunkKvConfig config = ChunkKvConfig.parse(policy);
        if (!Files.isRegularFile(document)) throw new IllegalArgumentException("--document " + document + " is not a readable file");
        String text = Files.readString(document);
        if (text.isBlank()) throw new IllegalArgumentException("--document " + document + " is empty");
        Path dir = EmbeddedModel.resolve(Optional.ofNullable(model));
        try (AbstractModel jlama = ChunkKvJlama.loadJlamaModel(dir); ChunkKvModel m = ChunkKvJlama.wrap(jlama, config)) {
            int[] tokens = m.encode(PromptContext.of(DocumentPrompt.documentPart(m.promptSupport(), text)), true);
            KvSession session = m.openSession();
            session.prefill(tokens);
            StringBuilder line = new StringBuilder();
            if (out != null) {
                try {
                    session.save(out);
                } catch (UncheckedIOException e) { // an unwritable --out is the caller's to fix, like a bad option
                    throw new IllegalArgumentException("--out " + out + ": " + e.getMessage(), e);
                }
                line.append(String.format(Locale.ROOT, " file=%s file_bytes=%d", out, Files.size(out)));
            }
            if (publish != null) {
                try (KvCacheStore store = StoreAddress.open(publish, Duration.ofSeconds(ttlSeconds));
                        SharedSessions shared = new SharedSessions(m, store, LoggerFactory.getLogger(SnapshotCommand.class))) {
                    line.append(" published=").append(shared.publish(session));
                }
            }
            CompressionStats stats = session.lastStats();
            spec.commandLine().getOut().printf(Locale.ROOT, "snapshot tokens=%d kv_bytes=%d kv_bytes_full=%d cold_bytes=%d prefill_ms=%.1f%s%n",
                    tokens.length, session.kvBytes(), tokens.length * m.kvBytesPerPosition(), session.coldBytesInRam() + session.coldBytesOnDisk(),
                    stats.prefillNanos() / 1e6, line);
        }
        return ExitCodes.OK;
    }
}
