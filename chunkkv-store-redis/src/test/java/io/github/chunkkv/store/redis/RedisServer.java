package io.github.chunkkv.store.redis;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} (the Debian package) on a free loopback port, started by the tests themselves: no
 * persistence, so a restart comes back empty, as after a crash without a dump. Outside CI (the {@code CI} variable
 * unset) tests are skipped, with the reason, when the binary cannot be started; in CI that is a failure.
 */
public final class RedisServer implements AutoCloseable {
    private static final String BINARY = "redis-server";
    private final int port;
    private final Path log;
    private Process process;

    private RedisServer(int port, Path log) {
        this.port = port;
        this.log = log;
    }

    /** A started server, or the calling test aborted (skipped) when none can be started outside CI. */
    public static RedisServer startOrSkip() {
        try {
            RedisServer server = new RedisServer(freeLoopbackPort(), Files.createTempFile("redis-test-", ".log"));
            server.start();
            return server;
        } catch (IOException e) {
            String why = "redis-server could not be started on 127.0.0.1 (" + e.getMessage() + "); install the Debian package "
                    + "redis-server (.ci/run does) to run the Redis tests";
            if (System.getenv("CI") != null) fail(why);
            Assumptions.abort(why);
            throw new AssertionError(why);
        }
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Kills the server at once (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** Starts the server again on the same port, empty. */
    public void restart() throws IOException {
        start();
    }

    private void start() throws IOException {
        process = new ProcessBuilder(List.of(BINARY, "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!answersPing()) {
            if (!process.isAlive()) throw new IOException("it exited with " + process.exitValue() + ", see " + log);
            if (System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IOException("it did not answer PING within 10 s, see " + log);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for it", e);
            }
        }
    }

    private boolean answersPing() {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readNBytes(7), StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) kill();
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a leftover log in the temp folder is harmless
        }
    }
}
