package dev.berth.it.harness;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import dev.berth.it.images.Digests;
import dev.berth.it.images.MediaTypes;

/**
 * Reads from a registry over the OCI Distribution API with plain HTTP: what a test uses to check, beside
 * the clients, what the registry itself serves. Every unexpected answer fails with the whole exchange.
 */
public final class RegistryApi {

    private final RegistryUnderTest registry;

    public RegistryApi(RegistryUnderTest registry) {
        this.registry = registry;
    }

    public URI uri(String path) {
        return registry.baseUri().resolve(path);
    }

    /** A manifest as served: the raw bytes, its media type and the Docker-Content-Digest header. */
    public record Manifest(byte[] body, String mediaType, String digestHeader) {
        public String digest() {
            return Digests.sha256(body);
        }
    }

    /** GET /v2/NAME/manifests/REF accepting any manifest or index type; expects 200. */
    public Manifest manifest(String repository, String reference) {
        HttpRequest request = HttpRequest.newBuilder(uri("/v2/" + repository + "/manifests/" + reference))
                .timeout(Duration.ofMinutes(1)).header("Accept", MediaTypes.ACCEPT_ALL).GET().build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() != 200) {
            throw new AssertionError("manifest GET failed against " + registry.kind() + Http.describe(request, response, null));
        }
        return new Manifest(response.body(), response.headers().firstValue("Content-Type").orElse(""),
                response.headers().firstValue("Docker-Content-Digest").orElse(""));
    }

    /** HEAD /v2/NAME/blobs/DIGEST; returns the response (status, headers). */
    public HttpResponse<byte[]> headBlob(String repository, String digest) {
        HttpRequest request = HttpRequest.newBuilder(uri("/v2/" + repository + "/blobs/" + digest))
                .timeout(Duration.ofMinutes(1)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        return Http.send(request);
    }

    /** A blob streamed through sha256: what was served, without keeping it in memory. */
    public record BlobSummary(int status, long size, String sha256, String exchange) {
    }

    /** GET /v2/NAME/blobs/DIGEST, streamed: the sha256 and size of the body (200 expected). */
    public BlobSummary blob(String repository, String digest) {
        HttpRequest request = HttpRequest.newBuilder(uri("/v2/" + repository + "/blobs/" + digest))
                .timeout(Duration.ofMinutes(3)).GET().build();
        try {
            HttpResponse<InputStream> response = Http.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
            String exchange = "\n>>> GET " + request.uri() + "\n<<< " + response.statusCode() + "\n"
                    + Http.headerLines(response.headers().map());
            try (InputStream body = response.body()) {
                CountingInputStream counting = new CountingInputStream(body);
                String sha = Digests.sha256(counting);
                return new BlobSummary(response.statusCode(), counting.count, sha, exchange);
            }
        } catch (IOException e) {
            throw new AssertionError("GET " + request.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static final class CountingInputStream extends java.io.FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
