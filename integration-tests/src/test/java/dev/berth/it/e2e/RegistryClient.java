package dev.berth.it.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

import dev.berth.it.e2e.E2eStack.Credentials;
import dev.berth.it.harness.Http;
import dev.berth.it.images.Digests;
import dev.berth.it.images.MediaTypes;
import dev.berth.it.images.RandomContent;

/**
 * The OCI Distribution API as a client sees it, authenticated the Docker way (a bearer token of token-service for
 * each repository and action), spread over the registry-api replicas given: calls go round-robin, and a replica that
 * does not answer (killed, restarting) makes the call go to the next one, as a client behind a load balancer
 * would see it. An upload that cannot be continued there is started again. Every other unexpected answer fails
 * with the whole exchange.
 */
public final class RegistryClient {

    /** How long a call keeps trying replicas that do not answer before it fails. */
    private static final Duration FAILOVER_LIMIT = Duration.ofSeconds(60);
    private static final int UPLOAD_ATTEMPTS = 4;

    /** A blob: its digest and bytes. */
    public record Blob(String digest, byte[] data) {
        public static Blob of(byte[] data) {
            return new Blob(Digests.sha256(data), data);
        }

        public static Blob json(String json) {
            return of(json.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A manifest the client pushed (or will push): where, its bytes and media type, and the blobs it names. */
    public record Image(String repository, String tag, String mediaType, byte[] manifest, List<Blob> blobs) {
        public String digest() {
            return Digests.sha256(manifest);
        }
    }

    private final E2eStack stack;
    private final Credentials who;
    private final List<StackProcess> replicas;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger failovers = new AtomicInteger();
    private final AtomicInteger restartedUploads = new AtomicInteger();
    private volatile LoadMetrics metrics;

    RegistryClient(E2eStack stack, Credentials who, List<StackProcess> replicas) {
        this.stack = stack;
        this.who = who;
        this.replicas = List.copyOf(replicas);
    }

    /** Records every request in {@code metrics} from now on. */
    public RegistryClient recordingInto(LoadMetrics target) {
        this.metrics = target;
        return this;
    }

    /** Calls that went to another replica because one did not answer. */
    public int failovers() {
        return failovers.get();
    }

    /** Uploads started again from the beginning after the replica that had them died. */
    public int restartedUploads() {
        return restartedUploads.get();
    }

    // ---------------------------------------------------------------------------------------------------------
    // the protocol

    /**
     * Sends a request built for a replica with a token for {@code scope}; when the replica does not answer (or answers
     * 502/503), the next replica gets it. The answer, whatever its status.
     */
    public HttpResponse<byte[]> send(String operation, String scope, Function<StackProcess, HttpRequest.Builder> build) {
        long deadline = System.nanoTime() + FAILOVER_LIMIT.toNanos();
        int index = Math.floorMod(next.getAndIncrement(), replicas.size());
        Throwable last = null;
        while (true) {
            StackProcess replica = replicas.get(index);
            HttpRequest request = build.apply(replica).timeout(Duration.ofMinutes(2))
                    .header("Authorization", "Bearer " + stack.token(who, scope)).build();
            long started = System.nanoTime();
            try {
                HttpResponse<byte[]> response = Http.client().send(request, HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() != 502 && response.statusCode() != 503) {
                    LoadMetrics target = metrics;
                    if (target != null) {
                        target.record(operation, System.nanoTime() - started,
                                request.bodyPublisher().map(HttpRequest.BodyPublisher::contentLength).orElse(0L),
                                response.body() == null ? 0 : response.body().length);
                    }
                    return response;
                }
                last = new IOException(replica + " answered " + response.statusCode());
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted: " + request.method() + " " + request.uri(), e);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(operation + ": no replica answered within " + FAILOVER_LIMIT.toSeconds()
                        + " s; last: " + request.method() + " " + request.uri() + ": " + last, last);
            }
            failovers.incrementAndGet();
            index = (index + 1) % replicas.size();
            pause(index == 0 ? 200 : 0);
        }
    }

    private static String pullScope(String repository) {
        return "repository:" + repository + ":pull";
    }

    private static String pushScope(String repository) {
        return "repository:" + repository + ":pull,push";
    }

    private static String path(String repository, String rest) {
        return "/v2/" + repository + rest;
    }

    /** HEAD of a blob: whether the repository has it. */
    public boolean blobExists(String repository, String digest) {
        HttpResponse<byte[]> response = send("blob-head", pullScope(repository), r -> HttpRequest.newBuilder(
                r.uri(path(repository, "/blobs/" + digest))).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        if (response.statusCode() == 200 || response.statusCode() == 404) {
            return response.statusCode() == 200;
        }
        throw unexpected("HEAD blob " + repository + "@" + digest, response);
    }

    /**
     * Pushes a blob unless the repository has it (HEAD first, as clients do): monolithic (one POST ?digest=) or chunked
     * (POST, two PATCHes, PUT ?digest=); an upload whose replica died on the way starts again.
     */
    public void pushBlob(String repository, Blob blob, boolean chunked) {
        if (blobExists(repository, blob.digest())) {
            return;
        }
        for (int attempt = 1; ; attempt++) {
            HttpResponse<byte[]> last = chunked ? chunkedUpload(repository, blob) : monolithicUpload(repository, blob);
            if (last.statusCode() == 201) {
                return;
            }
            // 404 BLOB_UPLOAD_UNKNOWN / 416 after the upload's replica died mid-request: start again
            if (attempt >= UPLOAD_ATTEMPTS || last.statusCode() < 400 || last.statusCode() >= 500) {
                throw unexpected("upload of " + blob.data().length + " bytes to " + repository + " (attempt " + attempt
                        + ")", last);
            }
            restartedUploads.incrementAndGet();
        }
    }

    private HttpResponse<byte[]> monolithicUpload(String repository, Blob blob) {
        return send("blob-upload", pushScope(repository), r -> HttpRequest.newBuilder(r.uri(path(repository,
                "/blobs/uploads/?digest=" + blob.digest().replace(":", "%3A"))))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob.data())));
    }

    private HttpResponse<byte[]> chunkedUpload(String repository, Blob blob) {
        String scope = pushScope(repository);
        HttpResponse<byte[]> opened = send("upload-start", scope, r -> HttpRequest.newBuilder(
                r.uri(path(repository, "/blobs/uploads/"))).POST(HttpRequest.BodyPublishers.noBody()));
        if (opened.statusCode() != 202) {
            throw unexpected("upload start in " + repository, opened);
        }
        String location = location(opened);
        int half = blob.data().length / 2;
        for (int[] range : new int[][] {{0, half}, {half, blob.data().length}}) {
            if (range[0] == range[1]) {
                continue;
            }
            String at = location;
            byte[] chunk = Arrays.copyOfRange(blob.data(), range[0], range[1]);
            HttpResponse<byte[]> patched = send("upload-chunk", scope, r -> HttpRequest.newBuilder(resolve(r, at))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", range[0] + "-" + (range[1] - 1))
                    .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(chunk)));
            if (patched.statusCode() != 202) {
                return patched;
            }
            location = patched.headers().firstValue("Location").orElse(location);
        }
        String at = location;
        return send("upload-finish", scope, r -> {
            URI uri = resolve(r, at);
            String separator = uri.getRawQuery() == null ? "?" : "&";
            return HttpRequest.newBuilder(URI.create(uri + separator + "digest=" + blob.digest().replace(":", "%3A")))
                    .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.noBody());
        });
    }

    private static URI resolve(StackProcess replica, String location) {
        URI uri = URI.create(location);
        // a location is a path on whichever replica answers next (upload sessions live in PostgreSQL)
        return replica.uri(uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    }

    private String location(HttpResponse<byte[]> response) {
        return response.headers().firstValue("Location")
                .orElseThrow(() -> unexpected("an answer without Location", response));
    }

    /** PUT of a manifest under a tag or its digest: 201 with its digest. */
    public String putManifest(String repository, String reference, String mediaType, byte[] manifest) {
        HttpResponse<byte[]> response = send("manifest-put", pushScope(repository), r -> HttpRequest.newBuilder(
                r.uri(path(repository, "/manifests/" + reference))).header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)));
        String digest = Digests.sha256(manifest);
        if (response.statusCode() != 201
                || !response.headers().firstValue("Docker-Content-Digest").orElse("").equals(digest)) {
            throw unexpected("manifest PUT " + repository + ":" + reference, response);
        }
        return digest;
    }

    /** Pushes the image's blobs (monolithic or chunked), then its manifest under its tag (or digest when untagged). */
    public Image push(Image image, boolean chunked) {
        for (Blob blob : image.blobs()) {
            pushBlob(image.repository(), blob, chunked);
        }
        putManifest(image.repository(), image.tag() == null ? image.digest() : image.tag(), image.mediaType(),
                image.manifest());
        return image;
    }

    /** GET of a manifest: its bytes, or null for 404. */
    public byte[] manifest(String repository, String reference) {
        HttpResponse<byte[]> response = send("manifest-get", pullScope(repository), r -> HttpRequest.newBuilder(
                r.uri(path(repository, "/manifests/" + reference))).header("Accept", MediaTypes.ACCEPT_ALL).GET());
        if (response.statusCode() == 404) {
            return null;
        }
        if (response.statusCode() != 200) {
            throw unexpected("GET manifest " + repository + ":" + reference, response);
        }
        return response.body();
    }

    /** GET of a blob: its bytes, or null for 404. */
    public byte[] blob(String repository, String digest) {
        HttpResponse<byte[]> response = send("blob-get", pullScope(repository), r -> HttpRequest.newBuilder(
                r.uri(path(repository, "/blobs/" + digest))).GET());
        if (response.statusCode() == 404) {
            return null;
        }
        if (response.statusCode() != 200) {
            throw unexpected("GET blob " + repository + "@" + digest, response);
        }
        return response.body();
    }

    /**
     * Pulls the image back and checks every byte: the manifest by tag (when tagged) and by digest, and every blob, whose
     * content must hash to its digest and equal what was pushed. Fails with what differs.
     */
    public void verify(Image image) {
        List<String> problems = new ArrayList<>();
        List<String> references = new ArrayList<>();
        if (image.tag() != null) {
            references.add(image.tag());
        }
        references.add(image.digest());
        for (String reference : references) {
            byte[] served = manifest(image.repository(), reference);
            if (served == null) {
                problems.add("manifest " + reference + " is unknown");
            } else if (!Arrays.equals(served, image.manifest())) {
                problems.add("manifest " + reference + " differs: digest " + Digests.sha256(served));
            }
        }
        for (Blob blob : image.blobs()) {
            byte[] served = blob(image.repository(), blob.digest());
            if (served == null) {
                problems.add("blob " + blob.digest() + " is unknown");
            } else if (!Digests.sha256(served).equals(blob.digest()) || !Arrays.equals(served, blob.data())) {
                problems.add("blob " + blob.digest() + " corrupted: " + served.length + " bytes hashing to "
                        + Digests.sha256(served));
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(image.repository() + ":" + image.tag() + " (" + image.digest() + ") does not pull "
                    + "back byte-identical: " + problems);
        }
    }

    /** The referrers of a manifest (an OCI index), optionally filtered by artifact type. */
    public JsonNode referrers(String repository, String digest, String artifactType) {
        String query = artifactType == null ? "" : "?artifactType=" + artifactType;
        HttpResponse<byte[]> response = send("referrers", pullScope(repository), r -> HttpRequest.newBuilder(
                r.uri(path(repository, "/referrers/" + digest + query))).header("Accept", MediaTypes.OCI_INDEX).GET());
        if (response.statusCode() != 200) {
            throw unexpected("GET referrers of " + repository + "@" + digest, response);
        }
        return E2eStack.json(response.body());
    }

    /** {@code GET /v2/_catalog} (needs the catalog grant: an administrator). */
    public List<String> catalog() {
        HttpResponse<byte[]> response = send("catalog", "registry:catalog:*", r -> HttpRequest.newBuilder(
                r.uri("/v2/_catalog?n=10000")).GET());
        if (response.statusCode() != 200) {
            throw unexpected("GET /v2/_catalog", response);
        }
        List<String> names = new ArrayList<>();
        E2eStack.json(response.body()).path("repositories").forEach(name -> names.add(name.asText()));
        return names;
    }

    /** The tags of a repository ({@code /v2/NAME/tags/list}). */
    public List<String> tags(String repository) {
        HttpResponse<byte[]> response = send("tags", pullScope(repository), r -> HttpRequest.newBuilder(
                r.uri(path(repository, "/tags/list"))).GET());
        if (response.statusCode() == 404) {
            return List.of();
        }
        if (response.statusCode() != 200) {
            throw unexpected("GET tags of " + repository, response);
        }
        List<String> tags = new ArrayList<>();
        E2eStack.json(response.body()).path("tags").forEach(tag -> tags.add(tag.asText()));
        return tags;
    }

    // ---------------------------------------------------------------------------------------------------------
    // images

    /**
     * A fresh OCI image of random content: a config naming its tag and {@code layers} layers of 1 byte to
     * {@code maxLayerBytes} (plus {@code shared} blobs, layers another image has too, first).
     */
    public static Image randomImage(String repository, String tag, RandomContent random, int layers, int maxLayerBytes,
            List<Blob> shared) {
        List<Blob> layerBlobs = new ArrayList<>(shared);
        for (int i = 0; i < layers; i++) {
            int size = 1 + Math.floorMod(java.nio.ByteBuffer.wrap(random.bytes(4)).getInt(), maxLayerBytes);
            layerBlobs.add(Blob.of(random.bytes(size)));
        }
        Blob config = Blob.json("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{"
                + "\"dev.berth.e2e.tag\":\"" + tag + "\",\"dev.berth.e2e.nonce\":\"" + Digests.sha256(random.bytes(16))
                + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        return image(repository, tag, config, layerBlobs, null);
    }

    /**
     * An OCI image manifest over {@code config} and {@code layers} (gzip layer media type; the tests' layers are opaque
     * bytes) with an optional {@code subject} descriptor JSON (an artifact about another manifest).
     */
    public static Image image(String repository, String tag, Blob config, List<Blob> layers, String subject) {
        return image(repository, tag, MediaTypes.OCI_CONFIG, null, config, MediaTypes.OCI_LAYER_GZIP, layers, subject);
    }

    /** An OCI image manifest with every media type chosen (artifacts: an artifact type and the empty config). */
    public static Image image(String repository, String tag, String configMediaType, String artifactType, Blob config,
            String layerMediaType, List<Blob> layers, String subject) {
        StringBuilder json = new StringBuilder();
        json.append("{\"schemaVersion\":2,\"mediaType\":\"").append(MediaTypes.OCI_MANIFEST).append('"');
        if (artifactType != null) {
            json.append(",\"artifactType\":\"").append(artifactType).append('"');
        }
        json.append(",\"config\":").append(descriptor(configMediaType, config)).append(",\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            json.append(i == 0 ? "" : ",").append(descriptor(layerMediaType, layers.get(i)));
        }
        json.append(']');
        if (subject != null) {
            json.append(",\"subject\":").append(subject);
        }
        json.append('}');
        List<Blob> blobs = new ArrayList<>();
        blobs.add(config);
        for (Blob layer : layers) {
            if (blobs.stream().noneMatch(b -> b.digest().equals(layer.digest()))) {
                blobs.add(layer);
            }
        }
        return new Image(repository, tag, MediaTypes.OCI_MANIFEST, json.toString().getBytes(StandardCharsets.UTF_8),
                List.copyOf(blobs));
    }

    /** A descriptor JSON of a blob. */
    public static String descriptor(String mediaType, Blob blob) {
        return descriptor(mediaType, blob.digest(), blob.data().length);
    }

    public static String descriptor(String mediaType, String digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    private AssertionError unexpected(String what, HttpResponse<byte[]> response) {
        return new AssertionError(what + " as " + who.user() + Http.describe(response.request(), response, null));
    }

    private static void pause(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
