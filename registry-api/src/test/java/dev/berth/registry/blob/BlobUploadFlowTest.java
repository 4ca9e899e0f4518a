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
class BlobUploadFlowTest {

    @Test
    void monolithicUploadThenGetHeadAndRange() {
        String repo = uniqueRepo("blob");
        byte[] content = randomBytes(100_000);
        Digest digest = pushBlob(repo, content);

        Response get = given().get("/v2/" + repo + "/blobs/" + digest);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.asByteArray()).isEqualTo(content);
        assertThat(get.header("Docker-Content-Digest")).isEqualTo(digest.toString());

        Response head = given().head("/v2/" + repo + "/blobs/" + digest);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo("100000");

        Response range = given().header("Range", "bytes=10-19").get("/v2/" + repo + "/blobs/" + digest);
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.header("Content-Range")).isEqualTo("bytes 10-19/100000");
        assertThat(range.asByteArray()).isEqualTo(Arrays.copyOfRange(content, 10, 20));
    }

    @Test
    void chunkedUpload() {
        String repo = uniqueRepo("blob");
        byte[] content = randomBytes(300_000);
        Digest digest = Digest.sha256Of(content);
        Response start = given().post("/v2/" + repo + "/blobs/uploads/");
        assertThat(start.statusCode()).isEqualTo(202);
        String location = start.header("Location");
        Response p1 = given().contentType("application/octet-stream").header("Content-Range", "0-99999")
                .body(Arrays.copyOfRange(content, 0, 100_000)).patch(location);
        assertThat(p1.statusCode()).as(p1.asString()).isEqualTo(202);
        assertThat(p1.header("Range")).isEqualTo("0-99999");
        Response p2 = given().contentType("application/octet-stream")
                .body(Arrays.copyOfRange(content, 100_000, 250_000)).patch(p1.header("Location"));
        assertThat(p2.statusCode()).isEqualTo(202);
        assertThat(p2.header("Range")).isEqualTo("0-249999");
        Response put = given().contentType("application/octet-stream").body(Arrays.copyOfRange(content, 250_000, 300_000))
                .put(p2.header("Location") + "?digest=" + digest);
        assertThat(put.statusCode()).as(put.asString()).isEqualTo(201);
        assertThat(given().get("/v2/" + repo + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }
}
