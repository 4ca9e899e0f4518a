package dev.berth.registry.upload;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.registry.support.HandledAfterClose;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
class UploadEndpointTest {

    @TestHTTPResource("/")
    URL base;

    @Inject
    Pool sql;

    @Inject
    MeterRegistry metrics;

    private static Response start(String repo) {
        Response r = given().post("/v2/" + repo + "/blobs/uploads/");
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.header("Docker-Upload-UUID")).isNotBlank();
        assertThat(r.header("Range")).isEqualTo("0-0");
        assertThat(r.header("Location")).isEqualTo("/v2/" + repo + "/blobs/uploads/" + r.header("Docker-Upload-UUID"));
        return r;
    }

    private static Response patch(String location, byte[] body, String range) {
        var spec = given().contentType("application/octet-stream").body(body);
        if (range != null) {
            spec = spec.header("Content-Range", range);
        }
        return spec.patch(location);
    }

    @Test
    void statusReportsTheRangeReceived() {
        String repo = uniqueRepo("up");
        String location = start(repo).header("Location");
        patch(location, randomBytes(1000), "0-999").then().statusCode(202);
        Response status = given().get(location);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.header("Range")).isEqualTo("0-999");
        assertThat(status.header("Docker-Upload-UUID")).isNotBlank();
    }

    @Test
    void outOfOrderChunksAre416AndChangeNothing() {
        String repo = uniqueRepo("up");
        byte[] content = randomBytes(3000);
        String location = start(repo).header("Location");
        patch(location, Arrays.copyOfRange(content, 0, 1000), "0-999").then().statusCode(202);
        // gap
        assertOciError(patch(location, Arrays.copyOfRange(content, 2000, 3000), "2000-2999"), 416, "BLOB_UPLOAD_INVALID");
        // overlap
        assertOciError(patch(location, Arrays.copyOfRange(content, 500, 1500), "500-1499"), 416, "BLOB_UPLOAD_INVALID");
        // the first chunk retried
        assertOciError(patch(location, Arrays.copyOfRange(content, 0, 1000), "0-999"), 416, "BLOB_UPLOAD_INVALID");
        // Content-Range and Content-Length disagree
        assertOciError(patch(location, Arrays.copyOfRange(content, 1000, 1500), "1000-1999"), 416, "BLOB_UPLOAD_INVALID");
        assertThat(given().get(location).header("Range")).isEqualTo("0-999");
        patch(location, Arrays.copyOfRange(content, 1000, 3000), "1000-2999").then().statusCode(202);
        Digest digest = Digest.sha256Of(content);
        given().put(location + "?digest=" + digest).then().statusCode(201);
        assertThat(given().get("/v2/" + repo + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }

    @Test
    void wrongDigestDiscardsTheUploadAndHarmsNothingStored() {
        String repo = uniqueRepo("up");
        byte[] existing = randomBytes(5000);
        Digest existingDigest = pushBlob(repo, existing);

        // an upload whose bytes differ but that claims the digest of the existing blob
        String location = start(repo).header("Location");
        patch(location, randomBytes(5000), null).then().statusCode(202);
        assertOciError(given().put(location + "?digest=" + existingDigest), 400, "DIGEST_INVALID");
        assertThat(given().get("/v2/" + repo + "/blobs/" + existingDigest).asByteArray()).isEqualTo(existing);
        assertOciError(given().get(location), 404, "BLOB_UPLOAD_UNKNOWN");

        // a monolithic upload with a wrong digest stores nothing
        byte[] other = randomBytes(100);
        Digest claimed = Digest.sha256Of(randomBytes(100));
        assertOciError(given().contentType("application/octet-stream").body(other)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + claimed), 400, "DIGEST_INVALID");
        assertOciError(given().get("/v2/" + repo + "/blobs/" + claimed), 404, "BLOB_UNKNOWN");
    }

    @Test
    void finishWithoutDigestOrWithMalformedDigestKeepsTheSession() {
        String repo = uniqueRepo("up");
        String location = start(repo).header("Location");
        patch(location, randomBytes(10), null).then().statusCode(202);
        assertOciError(given().put(location), 400, "DIGEST_INVALID");
        assertOciError(given().put(location + "?digest=sha256:zz"), 400, "DIGEST_INVALID");
        assertThat(given().get(location).header("Range")).isEqualTo("0-9");
    }

    @Test
    void cancelRemovesTheSession() {
        String repo = uniqueRepo("up");
        String location = start(repo).header("Location");
        patch(location, randomBytes(10), null).then().statusCode(202);
        given().delete(location).then().statusCode(204);
        assertOciError(given().get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertOciError(patch(location, randomBytes(10), null), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void unknownOrForeignUploadIds() {
        String repo = uniqueRepo("up");
        assertOciError(given().get("/v2/" + repo + "/blobs/uploads/" + UUID.randomUUID()), 404, "BLOB_UPLOAD_UNKNOWN");
        assertOciError(given().get("/v2/" + repo + "/blobs/uploads/not-a-uuid"), 404, "BLOB_UPLOAD_UNKNOWN");
        String id = start(repo).header("Docker-Upload-UUID");
        String other = uniqueRepo("up");
        start(other);
        assertOciError(given().get("/v2/" + other + "/blobs/uploads/" + id), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void finalChunkOnPut() {
        String repo = uniqueRepo("up");
        byte[] content = randomBytes(2000);
        String location = start(repo).header("Location");
        patch(location, Arrays.copyOfRange(content, 0, 1000), null).then().statusCode(202);
        Digest digest = Digest.sha256Of(content);
        Response put = given().contentType("application/octet-stream").body(Arrays.copyOfRange(content, 1000, 2000))
                .put(location + "?digest=" + digest);
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(put.header("Location")).isEqualTo("/v2/" + repo + "/blobs/" + digest);
        assertThat(put.header("Docker-Content-Digest")).isEqualTo(digest.toString());
    }

    @Test
    void emptyBlob() {
        String repo = uniqueRepo("up");
        Digest digest = pushBlob(repo, new byte[0]);
        Response get = given().get("/v2/" + repo + "/blobs/" + digest);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.asByteArray()).isEmpty();
    }

    @Test
    void mountFromAnotherRepository() {
        String source = uniqueRepo("mnt");
        String target = uniqueRepo("mnt");
        byte[] content = randomBytes(700);
        Digest digest = pushBlob(source, content);
        Response mount = given().post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source);
        assertThat(mount.statusCode()).isEqualTo(201);
        assertThat(mount.header("Location")).isEqualTo("/v2/" + target + "/blobs/" + digest);
        assertThat(mount.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        assertThat(given().get("/v2/" + target + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }

    @Test
    void mountFromARepositoryWithoutTheBlobFallsBackToAnUpload() {
        String source = uniqueRepo("mnt");
        String elsewhere = uniqueRepo("mnt");
        String target = uniqueRepo("mnt");
        Digest digest = pushBlob(elsewhere, randomBytes(70));
        start(source);
        Response mount = given().post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source);
        assertThat(mount.statusCode()).isEqualTo(202);
        assertThat(mount.header("Location")).contains("/blobs/uploads/");
        assertOciError(given().get("/v2/" + target + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void mountWithoutFromUsesAnyStoredBlob() {
        String source = uniqueRepo("mnt");
        String target = uniqueRepo("mnt");
        byte[] content = randomBytes(90);
        Digest digest = pushBlob(source, content);
        given().post("/v2/" + target + "/blobs/uploads/?mount=" + digest).then().statusCode(201);
        assertThat(given().get("/v2/" + target + "/blobs/" + digest).asByteArray()).isEqualTo(content);
        Digest unknown = Digest.sha256Of(randomBytes(10));
        given().post("/v2/" + target + "/blobs/uploads/?mount=" + unknown).then().statusCode(202);
    }

    @Test
    void invalidMountParameters() {
        String target = uniqueRepo("mnt");
        assertOciError(given().post("/v2/" + target + "/blobs/uploads/?mount=sha256:xyz"), 400, "DIGEST_INVALID");
        assertOciError(given().post("/v2/" + target + "/blobs/uploads/?mount=" + Digest.sha256Of("a") + "&from=BAD"),
                400, "NAME_INVALID");
    }

    @Test
    void truncatedBodyCountsNothing() throws Exception {
        String repo = uniqueRepo("up");
        String location = start(repo).header("Location");
        // announce 100000 bytes, send 40000, then drop the connection
        patchAndHangUp(location, 40000, "");
        Response status = null;
        for (int i = 0; i < 50; i++) {
            status = given().get(location);
            if (status.statusCode() == 204) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.header("Range")).isEqualTo("0-0");
        byte[] content = randomBytes(300);
        // the server may still be noticing the dropped connection: until then the upload is busy (416)
        Response resumed = patch(location, content, "0-299");
        for (int i = 0; i < 50 && resumed.statusCode() == 416; i++) {
            Thread.sleep(100);
            resumed = patch(location, content, "0-299");
        }
        assertThat(resumed.statusCode()).as(resumed.asString()).isEqualTo(202);
        Digest digest = Digest.sha256Of(content);
        given().put(location + "?digest=" + digest).then().statusCode(201);
        assertThat(given().get("/v2/" + repo + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }

    /**
     * The flaky failure of {@link #truncatedBodyCountsNothing}, made certain: a chunk whose client has already
     * gone when the registry gets to it (there a slow database connection delayed it; here a test route holds
     * it until the close) must not take the upload. It used to lock the upload anyway, and as the close had
     * happened before the body was handed over, it then waited forever for the rest of the body, keeping
     * every later request on the upload at 416.
     */
    @Test
    void aChunkHandledAfterItsClientLeftLeavesTheUploadFree() throws Exception {
        String repo = uniqueRepo("up");
        Response started = start(repo);
        String location = started.header("Location");
        double goneBefore = clientsGone();
        patchAndHangUp(location, 20000, HandledAfterClose.HEADER + ": true\r\n");
        // the late chunk is handled now; wait (bounded) until it was refused
        for (int i = 0; i < 300 && clientsGone() <= goneBefore; i++) {
            Thread.sleep(100);
        }
        boolean refused = clientsGone() > goneBefore;
        // nothing holds the upload: no retry needed (the late chunk used to hold it here, for good)
        byte[] content = randomBytes(300);
        Response resumed = patch(location, content, "0-299");
        assertThat(resumed.statusCode()).as(resumed.asString()).isEqualTo(202);
        assertThat(refused).as("the late chunk was refused because its client had gone").isTrue();
        Digest digest = Digest.sha256Of(content);
        given().put(location + "?digest=" + digest).then().statusCode(201);
        assertThat(given().get("/v2/" + repo + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }

    /**
     * A commit that finds its upload held by another request waits for it instead of failing the push with 416
     * (docker gives up on a 416 at PUT). The test holds the upload's row lock as a request writing a chunk does.
     */
    @Test
    void aCommitWaitsForAnUploadHeldByAnotherRequest() throws Exception {
        String repo = uniqueRepo("up");
        Response started = start(repo);
        String location = started.header("Location");
        UUID id = UUID.fromString(started.header("Docker-Upload-UUID"));
        byte[] content = randomBytes(500);
        patch(location, content, "0-499").then().statusCode(202);
        Digest digest = Digest.sha256Of(content);

        SqlConnection holder = sql.getConnection().await().atMost(java.time.Duration.ofSeconds(30));
        CompletableFuture<Response> commit = null;
        try {
            Transaction tx = holder.begin().await().indefinitely();
            holder.preparedQuery("select id from upload_session where id = $1 for update").execute(Tuple.of(id))
                    .await().indefinitely();
            int holderPid = holder.query("select pg_backend_pid()").execute().await().indefinitely()
                    .iterator().next().getInteger(0);
            commit = CompletableFuture.supplyAsync(() -> given().put(location + "?digest=" + digest));
            // wait (bounded) until the commit's statement is blocked by the holder, or the commit was answered
            boolean blocked = false;
            for (int i = 0; i < 600 && !blocked && !commit.isDone(); i++) {
                // from the pool, not the holder: pg_stat_activity is a snapshot per transaction
                blocked = sql.preparedQuery("select count(*) from pg_stat_activity where $1 = any(pg_blocking_pids(pid))")
                        .execute(Tuple.of(holderPid)).await().indefinitely().iterator().next().getLong(0) > 0;
                if (!blocked) {
                    Thread.sleep(50);
                }
            }
            assertThat(commit.isDone() ? commit.get().statusCode() + " " + commit.get().asString() : "waiting")
                    .as("the commit meeting a busy upload").isEqualTo("waiting");
            assertThat(blocked).as("the commit waits for the upload's lock").isTrue();
            tx.commit().await().indefinitely();
            Response answer = commit.get(60, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(201);
        } finally {
            holder.closeAndAwait();
            if (commit != null) {
                commit.get(60, TimeUnit.SECONDS);
            }
        }
        assertThat(given().get("/v2/" + repo + "/blobs/" + digest).asByteArray()).isEqualTo(content);
    }

    /** Sends a PATCH announcing 100000 bytes with {@code bytes} of them, then hangs up and waits for the close. */
    private void patchAndHangUp(String location, int bytes, String extraHeaders) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            String head = "PATCH " + location + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
                    + extraHeaders + "Content-Length: 100000\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(randomBytes(bytes));
            out.flush();
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            in.readAllBytes();
        }
    }

    /** Upload requests the registry dropped because their client had gone. */
    private double clientsGone() {
        Counter counter = metrics.find("berth.registry.uploads.client.gone").counter();
        return counter == null ? 0 : counter.count();
    }
}
