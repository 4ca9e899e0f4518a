package dev.berth.it.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.berth.it.harness.Http;
import dev.berth.it.harness.RegistryProcess;
import dev.berth.it.images.Digests;
import dev.berth.it.images.MediaTypes;

/**
 * Plain HTTP against one replica: manifests, monolithic blob pushes, readiness and the manifest cache
 * metrics. Each call that expects an answer shows the whole exchange when it gets another.
 */
final class ReplicaApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReplicaApi() {
    }

    static URI uri(RegistryProcess replica, String path) {
        return replica.baseUri().resolve(path);
    }

    /** POST /v2/NAME/blobs/uploads/?digest= with the whole blob: 201. */
    static String pushBlob(RegistryProcess replica, String repository, byte[] data) {
        String digest = Digests.sha256(data);
        HttpRequest request = HttpRequest.newBuilder(uri(replica, "/v2/" + repository + "/blobs/uploads/?digest="
                + digest.replace(":", "%3A")))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(data)).build();
        HttpResponse<byte[]> response = Http.send(request);
        assertThat(response.statusCode()).as("monolithic blob push on %s%s", replica,
                Http.describe(request, response, data.length + " bytes")).isEqualTo(201);
        return digest;
    }

    /** PUT of a manifest under a tag or digest: 201 and its digest. */
    static String putManifest(RegistryProcess replica, String repository, String reference, byte[] manifest) {
        HttpResponse<byte[]> response = putManifestResponse(replica, repository, reference, manifest);
        assertThat(response.statusCode()).as("manifest PUT %s:%s on %s: %s", repository, reference, replica,
                new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        String digest = Digests.sha256(manifest);
        assertThat(response.headers().firstValue("Docker-Content-Digest")).contains(digest);
        return digest;
    }

    static HttpResponse<byte[]> putManifestResponse(RegistryProcess replica, String repository, String reference,
            byte[] manifest) {
        HttpRequest request = HttpRequest.newBuilder(uri(replica, "/v2/" + repository + "/manifests/" + reference))
                .timeout(Duration.ofMinutes(1))
                .header("Content-Type", MediaTypes.OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build();
        return Http.send(request);
    }

    static HttpResponse<byte[]> getManifest(RegistryProcess replica, String repository, String reference) {
        HttpRequest request = HttpRequest.newBuilder(uri(replica, "/v2/" + repository + "/manifests/" + reference))
                .timeout(Duration.ofMinutes(1)).header("Accept", MediaTypes.ACCEPT_ALL).GET().build();
        return Http.send(request);
    }

    /** GET of a manifest: 200, exactly these bytes and their digest. */
    static void assertServes(RegistryProcess replica, String repository, String reference, byte[] manifest) {
        HttpResponse<byte[]> response = getManifest(replica, repository, reference);
        assertThat(response.statusCode()).as("GET %s:%s on %s: %s", repository, reference, replica,
                new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(response.body()).as("manifest %s:%s from %s", repository, reference, replica).isEqualTo(manifest);
        assertThat(response.headers().firstValue("Docker-Content-Digest")).contains(Digests.sha256(manifest));
    }

    /** GET of a manifest: 404 MANIFEST_UNKNOWN. */
    static void assertUnknown(RegistryProcess replica, String repository, String reference) {
        HttpResponse<byte[]> response = getManifest(replica, repository, reference);
        String body = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(response.statusCode()).as("GET %s:%s on %s: %s", repository, reference, replica, body).isEqualTo(404);
        assertThat(body).contains("MANIFEST_UNKNOWN");
    }

    /** DELETE of a manifest (by digest) or a tag: 202. */
    static void delete(RegistryProcess replica, String repository, String reference) {
        HttpRequest request = HttpRequest.newBuilder(uri(replica, "/v2/" + repository + "/manifests/" + reference))
                .timeout(Duration.ofMinutes(1)).DELETE().build();
        HttpResponse<byte[]> response = Http.send(request);
        assertThat(response.statusCode()).as("DELETE %s:%s on %s%s", repository, reference, replica,
                Http.describe(request, response, null)).isEqualTo(202);
    }

    /** The readiness report (it must answer 200: a replica stays ready without its cache). */
    static JsonNode readiness(RegistryProcess replica) {
        HttpResponse<byte[]> response = Http.get(uri(replica, "/q/health/ready"));
        assertThat(response.statusCode()).as("readiness of %s: %s", replica,
                new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code state} of the readiness check {@code manifest-cache}. */
    static String cacheState(RegistryProcess replica) {
        for (JsonNode check : readiness(replica).path("checks")) {
            if (check.path("name").asText().equals("manifest-cache")) {
                return check.path("data").path("state").asText();
            }
        }
        throw new AssertionError("no manifest-cache check in the readiness report of " + replica);
    }

    /** The sum of {@code berth_manifest_cache_total} samples with {@code result} (both kinds of entry). */
    static double cacheCount(RegistryProcess replica, String result) {
        HttpResponse<byte[]> response = Http.get(uri(replica, "/q/metrics"));
        assertThat(response.statusCode()).as("metrics of %s", replica).isEqualTo(200);
        double sum = 0;
        for (String line : new String(response.body(), StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("berth_manifest_cache_total{") && line.contains("result=\"" + result + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** A small OCI image manifest over the given config and layers (already pushed). */
    static byte[] imageManifest(String configDigest, long configSize, Map<String, Long> layers) {
        StringBuilder json = new StringBuilder();
        json.append("{\"schemaVersion\":2,\"mediaType\":\"").append(MediaTypes.OCI_MANIFEST).append("\",")
                .append("\"config\":{\"mediaType\":\"").append(MediaTypes.OCI_CONFIG).append("\",\"digest\":\"")
                .append(configDigest).append("\",\"size\":").append(configSize).append("},\"layers\":[");
        boolean first = true;
        for (Map.Entry<String, Long> layer : layers.entrySet()) {
            json.append(first ? "" : ",").append("{\"mediaType\":\"").append(MediaTypes.OCI_LAYER_GZIP)
                    .append("\",\"digest\":\"").append(layer.getKey()).append("\",\"size\":").append(layer.getValue())
                    .append('}');
            first = false;
        }
        json.append("]}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }
}
