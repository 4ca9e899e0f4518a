package dev.berth.registry.blob;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

@QuarkusTest
class BlobEndpointTest {

    @Test
    void blobIsReadableOnlyWhereLinked() {
        String a = uniqueRepo("link");
        String b = uniqueRepo("link");
        byte[] content = randomBytes(2048);
        Digest digest = pushBlob(a, content);
        given().post("/v2/" + b + "/blobs/uploads/").then().statusCode(202); // b exists, but has no link
        assertOciError(given().get("/v2/" + b + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertThat(given().head("/v2/" + b + "/blobs/" + digest).statusCode()).isEqualTo(404);
        assertOciError(given().get("/v2/" + uniqueRepo("nobody") + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void errorsWithoutARequestBodyKeepTheConnectionAlive() {
        // clients such as docker check many blobs with HEAD on one connection; a 404 must not cut it
        String repo = uniqueRepo("keepalive");
        Digest missing = Digest.sha256Of(randomBytes(16));
        Response head = given().head("/v2/" + repo + "/blobs/" + missing);
        assertThat(head.statusCode()).isEqualTo(404);
        assertThat(head.header("Connection")).isNull();
        Response get = given().get("/v2/" + repo + "/blobs/" + missing);
        assertOciError(get, 404, "BLOB_UNKNOWN");
        assertThat(get.header("Connection")).isNull();
    }

    @Test
    void httpMetricsNameEndpointsNotRepositoriesOrDigests() {
        String repo = uniqueRepo("metrics");
        Digest digest = pushBlob(repo, randomBytes(512));
        given().head("/v2/" + repo + "/blobs/" + digest).then().statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("uri=\"/v2/{name}/blobs/{digest}\"")
                .contains("uri=\"/v2/{name}/blobs/uploads\"")
                .doesNotContain(repo).doesNotContain(digest.hex());
    }

    @Test
    void headHasLengthDigestAndEtagButNoBody() {
        String repo = uniqueRepo("head");
        byte[] content = randomBytes(4096);
        Digest digest = pushBlob(repo, content);
        Response head = given().head("/v2/" + repo + "/blobs/" + digest);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo("4096");
        assertThat(head.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        assertThat(head.header("ETag")).isEqualTo("\"" + digest + "\"");
        assertThat(head.asByteArray()).isEmpty();
    }

    @Test
    void rangesOpenEndedSuffixAndUnsatisfiable() {
        String repo = uniqueRepo("range");
        byte[] content = randomBytes(1000);
        Digest digest = pushBlob(repo, content);
        String url = "/v2/" + repo + "/blobs/" + digest;

        Response open = given().header("Range", "bytes=990-").get(url);
        assertThat(open.statusCode()).isEqualTo(206);
        assertThat(open.asByteArray()).isEqualTo(Arrays.copyOfRange(content, 990, 1000));
        assertThat(open.header("Content-Range")).isEqualTo("bytes 990-999/1000");

        Response suffix = given().header("Range", "bytes=-5").get(url);
        assertThat(suffix.statusCode()).isEqualTo(206);
        assertThat(suffix.asByteArray()).isEqualTo(Arrays.copyOfRange(content, 995, 1000));

        Response beyond = given().header("Range", "bytes=1000-1010").get(url);
        assertThat(beyond.statusCode()).isEqualTo(416);
        assertThat(beyond.header("Content-Range")).isEqualTo("bytes */1000");
    }

    @Test
    void deleteUnlinksFromTheRepositoryOnly() {
        String a = uniqueRepo("del");
        String b = uniqueRepo("del");
        byte[] content = randomBytes(512);
        Digest digest = pushBlob(a, content);
        pushBlob(b, content);
        given().delete("/v2/" + a + "/blobs/" + digest).then().statusCode(202);
        assertOciError(given().get("/v2/" + a + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertThat(given().get("/v2/" + b + "/blobs/" + digest).asByteArray()).isEqualTo(content);
        assertOciError(given().delete("/v2/" + a + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void invalidDigestsAndNames() {
        String repo = uniqueRepo("bad");
        assertOciError(given().get("/v2/" + repo + "/blobs/sha256:abc"), 400, "DIGEST_INVALID");
        assertOciError(given().get("/v2/" + repo + "/blobs/md5:" + "a".repeat(32)), 400, "DIGEST_INVALID");
        assertOciError(given().get("/v2/" + repo + "/blobs/sha256:" + "A".repeat(64)), 400, "DIGEST_INVALID");
        String digest = Digest.sha256Of("x").toString();
        assertOciError(given().get("/v2/Upper/blobs/" + digest), 400, "NAME_INVALID");
        assertOciError(given().get("/v2/a..b/blobs/" + digest), 400, "NAME_INVALID");
        assertOciError(given().get("/v2/a/-b/blobs/" + digest), 400, "NAME_INVALID");
        assertOciError(given().get("/v2/" + "a".repeat(256) + "/blobs/" + digest), 400, "NAME_INVALID");
        assertOciError(given().urlEncodingEnabled(false).get("/v2/a/%2e%2e/b/blobs/" + digest), 400, "NAME_INVALID");
    }

    @Test
    void sha512BlobsAreVerifiedAndServed() {
        String repo = uniqueRepo("sha512");
        byte[] content = randomBytes(3000);
        Digest digest = Digest.compute(dev.berth.core.digest.DigestAlgorithm.SHA512, content);
        given().contentType("application/octet-stream").body(content)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest).then().statusCode(201)
                .header("Docker-Content-Digest", digest.toString());
        assertThat(given().get("/v2/" + repo + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }

    @Test
    void chunkedUploadNamingSha512OnlyAtCommitIsVerifiedToo() {
        String repo = uniqueRepo("sha512");
        byte[] content = randomBytes(70_000);
        Digest digest = Digest.compute(dev.berth.core.digest.DigestAlgorithm.SHA512, content);
        String location = given().post("/v2/" + repo + "/blobs/uploads/").then().statusCode(202).extract().header("Location");
        location = given().contentType("application/octet-stream").body(Arrays.copyOf(content, 30_000)).patch(location)
                .then().statusCode(202).extract().header("Location");
        given().contentType("application/octet-stream").body(Arrays.copyOfRange(content, 30_000, 70_000))
                .put(location + "?digest=" + digest).then().statusCode(201);
        assertThat(given().get("/v2/" + repo + "/blobs/" + digest).asByteArray()).isEqualTo(content);

        String other = given().post("/v2/" + repo + "/blobs/uploads/").then().statusCode(202).extract().header("Location");
        given().contentType("application/octet-stream").body(content).patch(other).then().statusCode(202);
        Digest wrong = Digest.compute(dev.berth.core.digest.DigestAlgorithm.SHA512, randomBytes(10));
        assertOciError(given().put(other + "?digest=" + wrong), 400, "DIGEST_INVALID");
    }

    @Test
    void unsupportedMethodIs405() {
        String repo = uniqueRepo("m");
        Digest digest = pushBlob(repo, randomBytes(10));
        assertOciError(given().post("/v2/" + repo + "/blobs/" + digest), 405, "UNSUPPORTED");
    }
}
