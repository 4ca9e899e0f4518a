package dev.berth.it.replicas;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.berth.it.harness.Http;
import dev.berth.it.harness.RegistryProcess;

/**
 * The chunked blob upload of the OCI Distribution API, step by step with plain HTTP, against any replica:
 * POST to open, PATCH chunks with Content-Range, GET for the status, PUT ?digest= to close. A Location
 * answered by one replica is resolved against another replica's address, which is what a load balancer
 * does. Each step asserts the answer the specification requires and shows the exchange when it differs.
 */
final class BlobUploads {

    private static final Pattern RANGE = Pattern.compile("^(?:bytes=)?0-(\\d+)$");

    private BlobUploads() {
    }

    /** Where an upload stands: the Location to use next and the number of bytes the registry holds. */
    record State(String location, long offset) {
    }

    /** The upload URL on {@code replica} for a Location answered by any replica (absolute or relative). */
    static URI on(RegistryProcess replica, String location) {
        URI given = URI.create(location);
        String pathAndQuery = given.getRawPath() + (given.getRawQuery() == null ? "" : "?" + given.getRawQuery());
        return replica.baseUri().resolve(pathAndQuery);
    }

    /** POST /v2/NAME/blobs/uploads/ : 202 with a Location. */
    static State start(RegistryProcess replica, String repository) {
        HttpRequest request = HttpRequest.newBuilder(replica.baseUri().resolve("/v2/" + repository + "/blobs/uploads/"))
                .timeout(Duration.ofMinutes(1))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<byte[]> response = Http.send(request);
        String exchange = "on " + replica + Http.describe(request, response, null);
        assertThat(response.statusCode()).as("POST opens an upload %s", exchange).isEqualTo(202);
        String location = response.headers().firstValue("Location").orElse(null);
        assertThat(location).as("Location of the new upload %s", exchange).isNotBlank();
        return new State(location, 0);
    }

    /** PATCH of {@code data[from, to)} with Content-Range: 202, Range 0-(to-1). */
    static State patch(RegistryProcess replica, State state, byte[] data, int from, int to) {
        byte[] chunk = java.util.Arrays.copyOfRange(data, from, to);
        HttpRequest request = patchRequest(replica, state, from, to, HttpRequest.BodyPublishers.ofByteArray(chunk));
        HttpResponse<byte[]> response = Http.send(request);
        String exchange = "on " + replica + Http.describe(request, response, chunk.length + " bytes [" + from + ", " + to + ")");
        assertThat(response.statusCode()).as("PATCH of a chunk %s", exchange).isEqualTo(202);
        assertThat(rangeEnd(response, exchange)).as("Range after the chunk %s", exchange).isEqualTo(to - 1L);
        return new State(response.headers().firstValue("Location").orElse(state.location()), to);
    }

    /** The PATCH of the bytes {@code [from, to)} of an upload, with {@code Content-Range}, carrying {@code body}. */
    static HttpRequest patchRequest(RegistryProcess replica, State state, long from, long to, HttpRequest.BodyPublisher body) {
        return HttpRequest.newBuilder(on(replica, state.location()))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", from + "-" + (to - 1))
                .method("PATCH", body).build();
    }

    /** GET of the upload URL: 204 with Range 0-(offset-1). */
    static State status(RegistryProcess replica, State state) {
        HttpRequest request = HttpRequest.newBuilder(on(replica, state.location()))
                .timeout(Duration.ofMinutes(1)).GET().build();
        HttpResponse<byte[]> response = Http.send(request);
        String exchange = "on " + replica + Http.describe(request, response, null);
        assertThat(response.statusCode()).as("GET of the upload status %s", exchange).isEqualTo(204);
        long end = rangeEnd(response, exchange);
        return new State(response.headers().firstValue("Location").orElse(state.location()), end + 1);
    }

    /** PUT ?digest= without a body: 201, Docker-Content-Digest and a Location for the blob. */
    static void finish(RegistryProcess replica, State state, String digest) {
        URI uri = on(replica, state.location());
        String separator = uri.getRawQuery() == null ? "?" : "&";
        URI put = URI.create(uri + separator + "digest=" + digest.replace(":", "%3A"));
        HttpRequest request = HttpRequest.newBuilder(put)
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<byte[]> response = Http.send(request);
        String exchange = "on " + replica + Http.describe(request, response, "empty");
        assertThat(response.statusCode()).as("PUT ?digest= closes the upload %s", exchange).isEqualTo(201);
        assertThat(response.headers().firstValue("Docker-Content-Digest")).as("Docker-Content-Digest %s", exchange)
                .contains(digest);
        assertThat(response.headers().firstValue("Location")).as("Location of the blob %s", exchange).isPresent();
    }

    /** GET of the blob: 200 and its bytes. */
    static byte[] get(RegistryProcess replica, String repository, String digest) {
        HttpRequest request = HttpRequest.newBuilder(replica.baseUri().resolve("/v2/" + repository + "/blobs/" + digest))
                .timeout(Duration.ofMinutes(2)).GET().build();
        HttpResponse<byte[]> response = Http.send(request);
        assertThat(response.statusCode()).as("GET of the blob on %s%s", replica, Http.describe(request, response, null))
                .isEqualTo(200);
        return response.body();
    }

    static long rangeEnd(HttpResponse<?> response, String exchange) {
        String range = response.headers().firstValue("Range").orElse(null);
        assertThat(range).as("Range header %s", exchange).isNotNull();
        Matcher matcher = RANGE.matcher(range.trim());
        assertThat(matcher.matches()).as("Range header '%s' is 0-<end> %s", range, exchange).isTrue();
        return Long.parseLong(matcher.group(1));
    }
}
