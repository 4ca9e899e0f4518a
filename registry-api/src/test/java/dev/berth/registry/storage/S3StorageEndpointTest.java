package dev.berth.registry.storage;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The blob and upload endpoints with {@code registry.storage.type=s3}, against a real S3 server. */
@QuarkusTest
@TestProfile(S3StorageProfile.class)
class S3StorageEndpointTest {
    private static final int MIB = 1024 * 1024;
    private static S3Objects s3;

    @BeforeAll
    static void client() {
        s3 = new S3Objects();
    }

    @AfterAll
    static void close() {
        s3.close();
    }

    @Test
    void monolithicUploadIsTheBlobAndPullsWithRanges() throws Exception {
        String repo = uniqueRepo("s3");
        byte[] content = randomBytes(12 * MIB + 345);
        Digest digest = pushBlob(repo, content);

        // zero-copy: the multipart object itself is the blob
        String key = S3Objects.storageKey(digest.toString());
        assertThat(key).matches("blobs/[0-9a-f-]{36}/data");
        assertThat(s3.exists(key)).isTrue();

        Response get = given().get("/v2/" + repo + "/blobs/" + digest);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.header("Content-Length")).isEqualTo(String.valueOf(content.length));
        assertThat(get.asByteArray()).isEqualTo(content);

        int from = 5 * MIB - 100;
        Response range = given().header("Range", "bytes=" + from + "-" + (from + 199)).get("/v2/" + repo + "/blobs/" + digest);
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.header("Content-Range")).isEqualTo("bytes " + from + "-" + (from + 199) + "/" + content.length);
        assertThat(range.asByteArray()).isEqualTo(Arrays.copyOfRange(content, from, from + 200));

        Response head = given().head("/v2/" + repo + "/blobs/" + digest);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(content.length));
    }

    @Test
    void chunkedUploadWithChunksBelowThePartMinimum() {
        String repo = uniqueRepo("s3");
        byte[] content = randomBytes(7 * MIB + 3 * 1000);
        Digest digest = Digest.sha256Of(content);
        Response start = given().post("/v2/" + repo + "/blobs/uploads/");
        assertThat(start.statusCode()).isEqualTo(202);
        String id = start.header("Docker-Upload-UUID");
        String location = start.header("Location");
        int chunk = MIB + 1000;
        int offset = 0;
        while (content.length - offset > chunk) {
            Response patch = given().contentType("application/octet-stream")
                    .header("Content-Range", offset + "-" + (offset + chunk - 1))
                    .body(Arrays.copyOfRange(content, offset, offset + chunk)).patch(location);
            assertThat(patch.statusCode()).as(patch.asString()).isEqualTo(202);
            offset += chunk;
            assertThat(patch.header("Range")).isEqualTo("0-" + (offset - 1));
            location = patch.header("Location");
        }
        // the small chunks wait in the bucket (pending tails), not in memory or on local disk
        assertThat(s3.list("uploads/" + id + "/")).isNotEmpty();
        Response put = given().contentType("application/octet-stream")
                .body(Arrays.copyOfRange(content, offset, content.length)).put(location + "?digest=" + digest);
        assertThat(put.statusCode()).as(put.asString()).isEqualTo(201);
        assertThat(s3.list("uploads/" + id + "/")).isEmpty();
        assertThat(given().get("/v2/" + repo + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }

    @Test
    void mountLinksTheStoredBlob() {
        String source = uniqueRepo("s3");
        String target = uniqueRepo("s3");
        byte[] content = randomBytes(50_000);
        Digest digest = pushBlob(source, content);
        Response mount = given().post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source);
        assertThat(mount.statusCode()).isEqualTo(201);
        assertThat(given().get("/v2/" + target + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }

    @Test
    void aSecondUploadOfAStoredDigestIsNotKept() throws Exception {
        byte[] content = randomBytes(6 * MIB);
        Digest digest = pushBlob(uniqueRepo("s3"), content);
        String first = S3Objects.storageKey(digest.toString());

        String repo = uniqueRepo("s3");
        Response start = given().post("/v2/" + repo + "/blobs/uploads/");
        String id = start.header("Docker-Upload-UUID");
        Response put = given().contentType("application/octet-stream").body(content)
                .put(start.header("Location") + "?digest=" + digest);
        assertThat(put.statusCode()).as(put.asString()).isEqualTo(201);

        assertThat(S3Objects.storageKey(digest.toString())).isEqualTo(first);
        assertThat(s3.exists("blobs/" + id + "/data")).as("the second copy is deleted").isFalse();
        assertThat(s3.exists(first)).isTrue();
        assertThat(given().get("/v2/" + repo + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }

    @Test
    void emptyBlob() {
        String repo = uniqueRepo("s3");
        Digest digest = pushBlob(repo, new byte[0]);
        Response get = given().get("/v2/" + repo + "/blobs/" + digest);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.asByteArray()).isEmpty();
    }

    @Test
    void readinessReportsTheBucket() {
        Response ready = given().get("/q/health/ready");
        assertThat(ready.statusCode()).as(ready.asString()).isEqualTo(200);
        assertThat(ready.jsonPath().getString("checks.find { it.name == 'storage' }.data.type")).isEqualTo("s3");
        assertThat(ready.jsonPath().getString("checks.find { it.name == 'storage' }.data.detail"))
                .contains(S3StorageProfile.BUCKET).contains("reachable");
    }
}
