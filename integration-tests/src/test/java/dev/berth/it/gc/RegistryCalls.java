package dev.berth.it.gc;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import dev.berth.it.harness.Http;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.images.Digests;
import dev.berth.it.images.MediaTypes;

/**
 * The OCI Distribution API calls a client makes, as plain HTTP against one registry-api, answering the response
 * (the callers decide what they accept). A call that gets an unexpected answer throws {@link Unexpected} with the
 * whole exchange.
 */
final class RegistryCalls {

    /** An answer the protocol does not allow at this point: a finding, with the exchange. */
    static final class Unexpected extends RuntimeException {
        Unexpected(String what, HttpRequest request, HttpResponse<byte[]> response) {
            super(what + Http.describe(request, response, null));
        }
    }

    /** A blob the caller pushes: its digest and bytes. */
    record Blob(String digest, byte[] data) {
        static Blob of(byte[] data) {
            return new Blob(Digests.sha256(data), data);
        }
    }

    private final RegistryProcess registry;

    RegistryCalls(RegistryProcess registry) {
        this.registry = registry;
    }

    private URI uri(String path) {
        return registry.baseUri().resolve(path);
    }

    private static HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2));
    }

    /** HEAD of a blob in a repository: whether it is there (200) or not (404). */
    boolean exists(String repository, String digest) {
        HttpRequest request = request(uri("/v2/" + repository + "/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() == 200 || response.statusCode() == 404) {
            return response.statusCode() == 200;
        }
        throw new Unexpected("HEAD of a blob", request, response);
    }

    /** A cross-repository mount: true when mounted (201); false when the registry opened an upload instead (202). */
    boolean mount(String repository, String digest, String from) {
        HttpRequest request = request(uri("/v2/" + repository + "/blobs/uploads/?mount=" + digest.replace(":", "%3A")
                + "&from=" + from)).POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() == 201) {
            return true;
        }
        if (response.statusCode() == 202) {
            // nothing to mount: the upload it opened is cancelled here; the caller uploads the bytes
            finishUpload(response.headers().firstValue("Location")
                    .orElseThrow(() -> new Unexpected("a 202 mount without Location", request, response)), null);
            return false;
        }
        throw new Unexpected("mount", request, response);
    }

    /** Uploads a blob: monolithic (POST ?digest=) or chunked (POST, PATCH in two chunks, PUT ?digest=). */
    void upload(String repository, Blob blob, boolean chunked) {
        if (!chunked) {
            HttpRequest request = request(uri("/v2/" + repository + "/blobs/uploads/?digest="
                    + blob.digest().replace(":", "%3A")))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(blob.data())).build();
            HttpResponse<byte[]> response = Http.send(request);
            if (response.statusCode() != 201) {
                throw new Unexpected("monolithic upload of " + blob.data().length + " bytes", request, response);
            }
            return;
        }
        HttpRequest open = request(uri("/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<byte[]> opened = Http.send(open);
        if (opened.statusCode() != 202) {
            throw new Unexpected("upload start", open, opened);
        }
        String location = opened.headers().firstValue("Location")
                .orElseThrow(() -> new Unexpected("202 without Location", open, opened));
        int half = blob.data().length / 2;
        location = patch(location, blob.data(), 0, half);
        location = patch(location, blob.data(), half, blob.data().length);
        finishUpload(location, blob);
    }

    private String patch(String location, byte[] data, int from, int to) {
        if (from == to) {
            return location;
        }
        HttpRequest request = request(registry.baseUri().resolve(location))
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", from + "-" + (to - 1))
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(Arrays.copyOfRange(data, from, to))).build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() != 202) {
            throw new Unexpected("PATCH of bytes " + from + "-" + (to - 1), request, response);
        }
        return response.headers().firstValue("Location").orElse(location);
    }

    /** PUT ?digest= on an upload; with {@code blob} null it only cancels the upload (a mount that found nothing). */
    private void finishUpload(String location, Blob blob) {
        URI at = registry.baseUri().resolve(location);
        if (blob == null) {
            HttpRequest cancel = request(at).DELETE().build();
            HttpResponse<byte[]> response = Http.send(cancel);
            if (response.statusCode() != 204 && response.statusCode() != 202 && response.statusCode() != 200) {
                throw new Unexpected("cancel of an upload", cancel, response);
            }
            return;
        }
        String separator = at.getRawQuery() == null ? "?" : "&";
        HttpRequest request = request(URI.create(at + separator + "digest=" + blob.digest().replace(":", "%3A")))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() != 201) {
            throw new Unexpected("PUT ?digest= closing an upload", request, response);
        }
    }

    /** PUT of an OCI image manifest: the response (201, or 400 MANIFEST_BLOB_UNKNOWN when a blob went meanwhile). */
    HttpResponse<byte[]> putManifest(String repository, String reference, byte[] manifest) {
        HttpRequest request = request(uri("/v2/" + repository + "/manifests/" + reference))
                .header("Content-Type", MediaTypes.OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() == 201) {
            return response;
        }
        String body = new String(response.body(), StandardCharsets.UTF_8);
        if (response.statusCode() == 400 && body.contains("MANIFEST_BLOB_UNKNOWN")) {
            return response;
        }
        throw new Unexpected("manifest PUT " + repository + ":" + reference, request, response);
    }

    /** GET of a manifest: its bytes, or null for 404. */
    byte[] manifest(String repository, String reference) {
        HttpRequest request = request(uri("/v2/" + repository + "/manifests/" + reference))
                .header("Accept", MediaTypes.ACCEPT_ALL).GET().build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() == 200) {
            return response.body();
        }
        if (response.statusCode() == 404) {
            return null;
        }
        throw new Unexpected("GET of a manifest", request, response);
    }

    /** GET of a blob: its bytes, or null for 404. */
    byte[] blob(String repository, String digest) {
        HttpRequest request = request(uri("/v2/" + repository + "/blobs/" + digest)).GET().build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() == 200) {
            return response.body();
        }
        if (response.statusCode() == 404) {
            return null;
        }
        throw new Unexpected("GET of a blob", request, response);
    }

    /** DELETE of a tag or a manifest (by digest): 202, or 404 when it is not there. */
    boolean deleteManifest(String repository, String reference) {
        HttpRequest request = request(uri("/v2/" + repository + "/manifests/" + reference)).DELETE().build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() == 202 || response.statusCode() == 404) {
            return response.statusCode() == 202;
        }
        throw new Unexpected("DELETE of a manifest or tag", request, response);
    }

    /** DELETE of a whole repository (Berth's /api/v1/repositories/NAME): 2xx, or 404. */
    boolean deleteRepository(String repository) {
        HttpRequest request = request(uri("/api/v1/repositories/" + repository)).DELETE().build();
        HttpResponse<byte[]> response = Http.send(request);
        if (response.statusCode() / 100 == 2 || response.statusCode() == 404) {
            return response.statusCode() != 404;
        }
        throw new Unexpected("DELETE of a repository", request, response);
    }

    /** An OCI image manifest over a config and layers (digests and sizes of the blobs). */
    static byte[] imageManifest(Blob config, List<Blob> layers) {
        StringBuilder json = new StringBuilder();
        json.append("{\"schemaVersion\":2,\"mediaType\":\"").append(MediaTypes.OCI_MANIFEST).append("\",")
                .append("\"config\":{\"mediaType\":\"").append(MediaTypes.OCI_CONFIG).append("\",\"digest\":\"")
                .append(config.digest()).append("\",\"size\":").append(config.data().length).append("},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            Blob layer = layers.get(i);
            json.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(MediaTypes.OCI_LAYER_GZIP)
                    .append("\",\"digest\":\"").append(layer.digest()).append("\",\"size\":")
                    .append(layer.data().length).append('}');
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
