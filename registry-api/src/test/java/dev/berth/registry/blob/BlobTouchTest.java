package dev.berth.registry.blob;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static dev.berth.registry.support.Sweeper.awaitBlockedOrDone;
import static dev.berth.registry.support.Sweeper.count;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.devtools.testing.PostgresTestResource;
import dev.berth.registry.support.Sweeper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What counts as a use of a blob for garbage collection: a {@code HEAD} (the client may skip the upload and push a
 * manifest naming it) and a mount touch the link, at most once per {@code registry.gc.touch-interval} (5 min); and a
 * mount that loses the blob to a concurrent collection lets the client upload instead.
 */
@QuarkusTest
class BlobTouchTest {
    private static final String LINK_AGE = "select extract(epoch from now() - l.last_touched_at)::int8 "
            + "from registry.repository_blob l join registry.repository r on r.id = l.repository_id "
            + "where r.name = ? and l.digest = '%s'";
    private static final String BLOB_AGE = "select extract(epoch from now() - last_touched_at)::int8 "
            + "from registry.blob where digest = ?";

    @Test
    void aHeadTouchesAnOldLinkAndItsBlob() throws Exception {
        String repo = uniqueRepo("gc-touch");
        Digest digest = pushBlob(repo, randomBytes(100));
        age(repo, digest, "1 hour");

        given().get("/v2/" + repo + "/blobs/" + digest).then().statusCode(200);
        assertThat(linkAge(repo, digest)).as("a GET is no touch").isGreaterThanOrEqualTo(3600);

        given().head("/v2/" + repo + "/blobs/" + digest).then().statusCode(200);
        assertThat(linkAge(repo, digest)).isLessThan(60);
        assertThat(count(BLOB_AGE, digest.toString())).isLessThan(60);
    }

    @Test
    void aHeadWithinTheTouchIntervalWritesNothing() throws Exception {
        String repo = uniqueRepo("gc-touch");
        Digest digest = pushBlob(repo, randomBytes(100));
        age(repo, digest, "2 minutes");

        given().head("/v2/" + repo + "/blobs/" + digest).then().statusCode(200);
        assertThat(linkAge(repo, digest)).isGreaterThanOrEqualTo(120);
        assertThat(count(BLOB_AGE, digest.toString())).isGreaterThanOrEqualTo(120);
    }

    @Test
    void aMountOfALinkedBlobTouchesTheLinkWithoutANewEvent() throws Exception {
        String source = uniqueRepo("gc-mount-src");
        String target = uniqueRepo("gc-mount");
        Digest digest = pushBlob(source, randomBytes(100));
        given().post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source).then().statusCode(201);
        age(target, digest, "1 hour");

        given().post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source).then().statusCode(201);

        assertThat(linkAge(target, digest)).isLessThan(60);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'blob.pushed'",
                target)).as("linked once").isEqualTo(1);
    }

    /**
     * The collector deletes the unlinked blob's row while a mount of it runs: the mount's link fails its foreign key,
     * and the client is asked to upload (202 and an upload session, as the OCI spec says for nothing to mount).
     */
    @Test
    void aMountThatLosesTheBlobToACollectionAnswersWithAnUploadSession() throws Exception {
        String source = uniqueRepo("gc-mount-src");
        String target = uniqueRepo("gc-mount");
        Digest digest = pushBlob(source, randomBytes(100));
        given().delete("/v2/" + source + "/blobs/" + digest).then().statusCode(202);
        Response mount;
        try (Sweeper sweeper = new Sweeper()) {
            assertThat(sweeper.deleteBlob(digest.toString())).isNotNull();
            CompletableFuture<Response> mounting = CompletableFuture.supplyAsync(
                    () -> given().post("/v2/" + target + "/blobs/uploads/?mount=" + digest));
            awaitBlockedOrDone(mounting);
            sweeper.commit();
            mount = mounting.get(60, TimeUnit.SECONDS);
        }
        assertThat(mount.statusCode()).as(mount.asString()).isEqualTo(202);
        assertThat(mount.header("Location")).contains("/v2/" + target + "/blobs/uploads/");
        given().head("/v2/" + target + "/blobs/" + digest).then().statusCode(404);
    }

    private static long linkAge(String repo, Digest digest) throws Exception {
        return count(LINK_AGE.formatted(digest), repo);
    }

    /** Makes the link and its blob look last touched {@code ago}. */
    private static void age(String repo, Digest digest, String ago) throws Exception {
        try (Connection c = PostgresTestResource.dataSource().getConnection();
                PreparedStatement link = c.prepareStatement("update registry.repository_blob l "
                        + "set last_touched_at = now() - ?::interval from registry.repository r "
                        + "where r.id = l.repository_id and r.name = ? and l.digest = ?");
                PreparedStatement blob = c.prepareStatement(
                        "update registry.blob set last_touched_at = now() - ?::interval where digest = ?")) {
            link.setString(1, ago);
            link.setString(2, repo);
            link.setString(3, digest.toString());
            assertThat(link.executeUpdate()).isEqualTo(1);
            blob.setString(1, ago);
            blob.setString(2, digest.toString());
            assertThat(blob.executeUpdate()).isEqualTo(1);
        }
    }
}
