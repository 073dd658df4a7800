package io.github.chunkkv.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.ModelNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Downloads a model by name ({@code owner/name}) from a Hugging Face hub into {@code <cache>/<owner>_<name>}, the
 * folder layout Jlama and langchain4j-jlama use, so that their downloads are found and theirs ours. A folder is
 * complete once its {@value #FINISHED_MARKER} file exists; then nothing is fetched.
 *
 * <p>It lists the repository's files (the hub's tree API), fetches the JSON and safetensors files ({@code
 * config.json} last), each into a {@code .part} file that is resumed with an HTTP range request after a dropped
 * connection, checked against the size and, for LFS files, the SHA-256 the hub gives, and only then moved into
 * place. Network failures and 5xx/429 answers are retried with exponential backoff; 401/403 (a gated or private
 * model) and 404 are not.
 */
final class HubDownloader {
    /** The public hub; the {@code HF_ENDPOINT} environment variable (a mirror) overrides it, as for Hugging Face's tools. */
    static final URI DEFAULT_HUB = URI.create(Optional.ofNullable(System.getenv("HF_ENDPOINT")).orElse("https://huggingface.co"));
    static final String FINISHED_MARKER = ".finished";
    static final Pattern REPOSITORY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final int ATTEMPTS = 4;
    private static final String REVISION = "main";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file of the repository; {@code sha256} is null when the hub gives none (small, non-LFS files). */
    record HubFile(String path, long size, String sha256) {}

    private final HttpClient http;
    private final URI hub;
    private final String authToken;
    private final Duration firstBackoff;

    /**
     * @param hub the hub's base URL
     * @param authToken a Hugging Face access token, or null
     * @param firstBackoff the wait before the first retry; it doubles for each further one
     */
    HubDownloader(URI hub, String authToken, Duration firstBackoff) {
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL) // LFS files redirect to a CDN
                .connectTimeout(Duration.ofSeconds(20))
                .build();
        this.hub = hub;
        this.authToken = authToken;
        this.firstBackoff = firstBackoff;
    }

    /** The model's folder in {@code cache}, downloaded unless it is complete already. */
    Path download(String repository, Path cache) throws IOException {
        if (!REPOSITORY.matcher(repository).matches()) {
            throw new IllegalArgumentException("modelName must be a Hugging Face repository 'owner/name', got '" + repository + "'");
        }
        Path folder = cache.resolve(repository.replace('/', '_'));
        if (Files.exists(folder.resolve(FINISHED_MARKER))) return folder;
        List<HubFile> files = modelFiles(repository);
        Files.createDirectories(folder);
        for (HubFile file : files) fetch(repository, file, folder);
        Files.createFile(folder.resolve(FINISHED_MARKER));
        return folder;
    }

    /** The files a Jlama model folder needs, config.json last: its presence then means the weights are all there. */
    List<HubFile> modelFiles(String repository) throws IOException {
        HttpResponse<InputStream> response = withRetries("the file list of " + repository,
                () -> send(uri("api/models/" + repository + "/tree/" + REVISION), 0, repository));
        List<HubFile> wanted = new ArrayList<>();
        HubFile config = null;
        try (InputStream body = response.body()) {
            for (JsonNode entry : JSON.readTree(body)) {
                String path = entry.path("path").asText();
                if (!entry.path("type").asText().equals("file") || !(path.endsWith(".json") || path.endsWith(".safetensors"))) continue;
                JsonNode lfs = entry.path("lfs");
                HubFile file = new HubFile(path, lfs.path("size").asLong(entry.path("size").asLong(-1)),
                        lfs.hasNonNull("oid") ? lfs.path("oid").asText() : null);
                if (path.equals("config.json")) config = file;
                else wanted.add(file);
            }
        }
        if (config == null) throw new ModelNotFoundException(repository + " on " + hub + " has no config.json: it is not a model Jlama can load");
        wanted.add(config);
        return wanted;
    }

    private void fetch(String repository, HubFile file, Path folder) throws IOException {
        Path target = folder.resolve(file.path()).normalize();
        if (!target.startsWith(folder)) throw new IOException("the hub listed a file outside the model folder: " + file.path());
        if (Files.exists(target)) return; // moved into place only once complete and verified
        Files.createDirectories(target.getParent());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        withRetries(file.path() + " of " + repository, () -> {
            verify(file, transfer(repository, file, part), part);
            return null;
        });
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Appends the rest of the file to {@code part}, or starts it again when the server does not resume; returns the
     * SHA-256 the response names (null if none).
     */
    private String transfer(String repository, HubFile file, Path part) throws IOException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (file.size() >= 0 && have == file.size()) return null;
        HttpResponse<InputStream> response = send(uri(repository + "/resolve/" + REVISION + "/" + file.path()), have, repository);
        boolean resumed = response.statusCode() == 206;
        try (InputStream body = response.body();
                OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            body.transferTo(out);
        }
        return linkedEtag(response);
    }

    /** Checks the size the listing gives and the SHA-256 that the listing or the response gives. */
    private static void verify(HubFile file, String linkedEtag, Path part) throws IOException {
        long size = Files.size(part);
        if (file.size() >= 0 && size != file.size()) throw new IOException(file.path() + ": got " + size + " bytes, the hub lists " + file.size());
        String expected = file.sha256() != null ? file.sha256() : linkedEtag;
        if (expected == null) return;
        String actual = sha256(part);
        if (!actual.equalsIgnoreCase(expected)) {
            Files.delete(part); // start this file again
            throw new IOException(file.path() + ": SHA-256 " + actual + " differs from the hub's " + expected);
        }
    }

    private HttpResponse<InputStream> send(URI uri, long from, String repository) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2)).GET();
        if (authToken != null) request.header("Authorization", "Bearer " + authToken);
        if (from > 0) request.header("Range", "bytes=" + from + "-");
        HttpResponse<InputStream> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading " + repository, e);
        }
        int status = response.statusCode();
        if (status == 200 || status == 206) return response;
        response.body().close();
        if (status == 401 || status == 403) {
            throw new AuthenticationException(authToken == null
                    ? "model '" + repository + "' is gated or private (HTTP " + status + "): accept its terms on the hub, then give an "
                            + "access token with authToken(...)"
                    : "the authToken given does not grant access to model '" + repository + "' (HTTP " + status
                            + "): check that it is valid and that its account accepted the model's terms");
        }
        if (status == 404) throw new ModelNotFoundException("the hub " + hub + " has no '" + uri.getPath() + "' (HTTP 404): check modelName '" + repository + "'");
        if (status == 429 || status >= 500) throw new IOException("HTTP " + status + " from " + uri); // retried
        throw new HttpException(status, "HTTP " + status + " from " + uri);
    }

    private <T> T withRetries(String what, IoCall<T> call) throws IOException {
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                return call.run();
            } catch (IOException e) { // dropped connections, timeouts, 5xx/429, a bad checksum
                last = e;
                if (attempt < ATTEMPTS) sleep(firstBackoff.multipliedBy(1L << (attempt - 1)));
            }
        }
        throw new IOException("could not download " + what + " after " + ATTEMPTS + " attempts: " + last.getMessage(), last);
    }

    private URI uri(String path) {
        String base = hub.toString();
        return URI.create(base.endsWith("/") ? base + path : base + "/" + path);
    }

    /** The SHA-256 the hub names for an LFS file, on the response or on the redirect before it. */
    private static String linkedEtag(HttpResponse<?> response) {
        for (HttpResponse<?> r = response; r != null; r = r.previousResponse().orElse(null)) {
            Optional<String> etag = r.headers().firstValue("X-Linked-Etag");
            if (etag.isPresent()) {
                String value = etag.get().replace("\"", "").replace("W/", "");
                if (value.matches("[0-9a-fA-F]{64}")) return value;
            }
        }
        return null;
    }

    private static String sha256(Path file) throws IOException {
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static void sleep(Duration duration) throws IOException {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to retry", e);
        }
    }

    @FunctionalInterface
    private interface IoCall<T> {
        T run() throws IOException;
    }
}
