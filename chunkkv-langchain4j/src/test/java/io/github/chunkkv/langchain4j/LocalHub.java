package io.github.chunkkv.langchain4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * A real HTTP server on 127.0.0.1 that serves model folders in the Hugging Face hub's URL layout: the tree API
 * ({@code /api/models/owner/name/tree/main}, with LFS size and SHA-256 for safetensors files) and file downloads
 * ({@code /owner/name/resolve/main/path}, with HTTP ranges and the {@code X-Linked-Etag} header). Repositories can
 * be gated (a bearer token is needed) and files can fail once: the connection dropped half-way, or the bytes
 * corrupted. It records every request.
 */
final class LocalHub implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as the server saw it: path and Range header (null if none). */
    record Request(String path, String range) {}

    private final HttpServer server;
    private final Map<String, Path> repositories = new ConcurrentHashMap<>();
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private final Set<String> dropOnce = ConcurrentHashMap.newKeySet();
    private final Set<String> corruptOnce = ConcurrentHashMap.newKeySet();
    final List<Request> requests = new CopyOnWriteArrayList<>();

    LocalHub() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Serves {@code folder} as {@code repository} (owner/name). */
    LocalHub serve(String repository, Path folder) {
        repositories.put(repository, folder);
        return this;
    }

    /** Answers {@code repository} only to requests that carry {@code token}: 401 without, 403 with another. */
    LocalHub gate(String repository, String token) {
        tokens.put(repository, token);
        return this;
    }

    /** The next download of {@code file} sends half its bytes, then drops the connection. */
    LocalHub dropOnce(String file) {
        dropOnce.add(file);
        return this;
    }

    /** The next download of {@code file} sends wrong bytes of the right length. */
    LocalHub corruptOnce(String file) {
        corruptOnce.add(file);
        return this;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            requests.add(new Request(path, exchange.getRequestHeaders().getFirst("Range")));
            String[] parts = path.substring(1).split("/", 6);
            boolean tree = parts.length == 6 && parts[0].equals("api") && parts[1].equals("models") && parts[4].equals("tree");
            boolean resolve = parts.length >= 5 && parts[2].equals("resolve");
            String repository = tree ? parts[2] + "/" + parts[3] : parts.length >= 2 ? parts[0] + "/" + parts[1] : "";
            Path folder = repositories.get(repository);
            if (folder == null || !(tree || resolve)) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String token = tokens.get(repository);
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (token != null && !("Bearer " + token).equals(authorization)) {
                exchange.sendResponseHeaders(authorization == null ? 401 : 403, -1);
                return;
            }
            if (tree) {
                send(exchange, 200, JSON.writeValueAsBytes(listing(folder)), Map.of());
            } else {
                String file = path.substring(("/" + repository + "/resolve/" + parts[3] + "/").length());
                download(exchange, folder.resolve(file), file);
            }
        }
    }

    private void download(HttpExchange exchange, Path file, String name) throws IOException {
        if (!Files.isRegularFile(file)) {
            exchange.sendResponseHeaders(404, -1);
            return;
        }
        byte[] bytes = Files.readAllBytes(file);
        Map<String, String> headers = new HashMap<>();
        if (name.endsWith(".safetensors")) headers.put("X-Linked-Etag", "\"" + sha256(bytes) + "\"");
        if (corruptOnce.remove(name)) {
            bytes = bytes.clone();
            bytes[bytes.length / 2] ^= 0x5a;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        int from = range == null ? 0 : Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
        byte[] body = Arrays.copyOfRange(bytes, from, bytes.length);
        if (range != null) headers.put("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
        if (dropOnce.remove(name)) {
            headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(range == null ? 200 : 206, body.length);
            OutputStream out = exchange.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            throw new IOException("dropping the connection half-way on purpose"); // the server closes it without the rest
        }
        send(exchange, range == null ? 200 : 206, body, headers);
    }

    private static void send(HttpExchange exchange, int status, byte[] body, Map<String, String> headers) throws IOException {
        headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    private static ArrayNode listing(Path folder) throws IOException {
        ArrayNode entries = JSON.createArrayNode();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.sorted().toList()) {
                ObjectNode entry = entries.addObject().put("type", "file").put("path", f.getFileName().toString()).put("size", Files.size(f));
                if (f.getFileName().toString().endsWith(".safetensors")) {
                    entry.putObject("lfs").put("oid", sha256(Files.readAllBytes(f))).put("size", Files.size(f));
                }
            }
        }
        entries.addObject().put("type", "directory").put("path", "unused");
        entries.addObject().put("type", "file").put("path", "README.md").put("size", 3);
        return entries;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
