package dev.berth.registry.storage;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@code registry.storage.redirect=true}: whole-blob GETs go to a pre-signed S3 URL, ranges do not. */
@QuarkusTest
@TestProfile(S3StorageProfile.WithRedirect.class)
class S3RedirectEndpointTest {

    @Test
    void wholeBlobGetIsRedirectedToAWorkingPresignedUrl() throws Exception {
        String repo = uniqueRepo("s3r");
        byte[] content = randomBytes(200_000);
        Digest digest = pushBlob(repo, content);

        Response get = given().redirects().follow(false).get("/v2/" + repo + "/blobs/" + digest);
        assertThat(get.statusCode()).isEqualTo(307);
        assertThat(get.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        String location = get.header("Location");
        assertThat(location).contains("/" + S3StorageProfile.BUCKET + "/blobs/").contains("X-Amz-Signature=");

        HttpResponse<byte[]> fetched = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create(location)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(fetched.statusCode()).isEqualTo(200);
        assertThat(fetched.body()).isEqualTo(content);
    }

    @Test
    void rangeAndHeadAreServedByTheRegistry() {
        String repo = uniqueRepo("s3r");
        byte[] content = randomBytes(100_000);
        Digest digest = pushBlob(repo, content);

        Response range = given().redirects().follow(false).header("Range", "bytes=10-19").get("/v2/" + repo + "/blobs/" + digest);
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.header("Location")).isNull();
        assertThat(range.asByteArray()).isEqualTo(Arrays.copyOfRange(content, 10, 20));

        Response whole = given().redirects().follow(false).header("Range", "bytes=0-").get("/v2/" + repo + "/blobs/" + digest);
        assertThat(whole.statusCode()).isEqualTo(206);
        assertThat(whole.asByteArray()).isEqualTo(content);

        Response head = given().redirects().follow(false).head("/v2/" + repo + "/blobs/" + digest);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo("100000");
    }
}
