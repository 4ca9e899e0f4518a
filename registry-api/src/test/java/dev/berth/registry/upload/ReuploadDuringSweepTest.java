package dev.berth.registry.upload;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static dev.berth.registry.support.Sweeper.awaitBlockedOrDone;
import static dev.berth.registry.support.Sweeper.count;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.StorageKey;
import dev.berth.registry.support.Sweeper;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Re-upload during a sweep, on the filesystem store (one path per digest): garbage collection deletes a blob's row
 * and queues its object, and a client uploads the same digest again. Whatever the interleaving, the new upload's
 * file must survive the object deletion: the upload takes over the queued deletion (see
 * {@code UploadService#takeOverPendingObjects}). The sweeper's SQL is played by {@link Sweeper}, its transactions
 * held open where the interleaving needs it.
 */
@QuarkusTest
class ReuploadDuringSweepTest {

    @Inject
    BlobStore store;

    /** (a) The sweep committed before the re-upload: the upload deletes the old file itself, then puts its own. */
    @Test
    void aReuploadAfterTheSweepTakesOverTheDeletion() throws Exception {
        Swept swept = sweptBlob();
        try (Sweeper sweeper = new Sweeper()) {
            assertThat(sweeper.deleteBlob(swept.digest.toString())).isEqualTo(swept.key);
            sweeper.commit();
        }
        Object oldFile = inode(swept.key);

        String repo = uniqueRepo("gc-reupload");
        pushBlob(repo, swept.content);

        assertThat(inode(swept.key)).as("the old file was replaced by the upload's").isNotEqualTo(oldFile);
        assertSurvivesTheObjectCollector(repo, swept);
    }

    /** (b) The sweep holds the blob's row (deleting it) while the re-upload commits: the upload waits, then as (a). */
    @Test
    void aReuploadWaitsForTheSweepOfTheBlobRow() throws Exception {
        Swept swept = sweptBlob();
        String repo = uniqueRepo("gc-reupload");
        try (Sweeper sweeper = new Sweeper()) {
            assertThat(sweeper.deleteBlob(swept.digest.toString())).isEqualTo(swept.key);
            CompletableFuture<Integer> upload = upload(repo, swept);
            awaitBlockedOrDone(upload);
            sweeper.commit();
            assertThat(upload.get(60, TimeUnit.SECONDS)).isEqualTo(201);
        }
        assertSurvivesTheObjectCollector(repo, swept);
    }

    /**
     * (c) The object collector holds the pending row (deleted, not committed) while the re-upload commits: the
     * upload waits; the collector deletes the old file and commits; then the upload puts its file in place.
     */
    @Test
    void aReuploadWaitsForTheObjectCollector() throws Exception {
        Swept swept = sweptBlob();
        try (Sweeper sweeper = new Sweeper()) {
            sweeper.deleteBlob(swept.digest.toString());
            sweeper.commit();
        }
        String repo = uniqueRepo("gc-reupload");
        try (Sweeper collector = new Sweeper()) {
            assertThat(collector.claimPendingObjects(swept.digest.toString())).containsExactly(swept.key);
            CompletableFuture<Integer> upload = upload(repo, swept);
            awaitBlockedOrDone(upload);
            assertThat(store.delete(new StorageKey(swept.key)).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS)).isNull();
            collector.commit();
            assertThat(upload.get(60, TimeUnit.SECONDS)).isEqualTo(201);
        }
        assertSurvivesTheObjectCollector(repo, swept);
    }

    /**
     * Uploads of one digest commit one after the other (each holds the digest's locks until it commits) and all
     * succeed: no deadlock between the commit's locks and the blob row update of another upload.
     */
    @Test
    void concurrentUploadsOfOneDigestAllSucceed() throws Exception {
        byte[] content = randomBytes(2048);
        Swept same = new Swept(Digest.sha256Of(content), content, StorageKey.forBlob(Digest.sha256Of(content)).path());
        List<CompletableFuture<Integer>> uploads = new java.util.ArrayList<>();
        List<String> repos = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            repos.add(uniqueRepo("gc-same"));
            uploads.add(upload(repos.get(i), same));
        }
        for (CompletableFuture<Integer> upload : uploads) {
            assertThat(upload.get(60, TimeUnit.SECONDS)).isEqualTo(201);
        }
        for (String repo : repos) {
            assertPulls(repo, same);
        }
    }

    /** A blob whose only link was removed: what the link collector leaves for the blob collector. */
    private Swept sweptBlob() {
        String repo = uniqueRepo("gc-swept");
        byte[] content = randomBytes(4096);
        Digest digest = pushBlob(repo, content);
        given().delete("/v2/" + repo + "/blobs/" + digest).then().statusCode(202);
        String key = StorageKey.forBlob(digest).path();
        assertThat(Files.exists(file(key))).isTrue();
        return new Swept(digest, content, key);
    }

    private record Swept(Digest digest, byte[] content, String key) {
    }

    private static CompletableFuture<Integer> upload(String repo, Swept swept) {
        return CompletableFuture.supplyAsync(() -> given().contentType("application/octet-stream").body(swept.content)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + swept.digest).statusCode());
    }

    /**
     * Nothing is left queued for the digest; a later object collection finds nothing to delete; the blob pulls back
     * byte-identical, also after that collection.
     */
    private void assertSurvivesTheObjectCollector(String repo, Swept swept) throws Exception {
        assertPulls(repo, swept);
        assertThat(count("select count(*) from registry.gc_pending_object where digest = ?", swept.digest.toString()))
                .as("the upload took over the queued deletion").isZero();
        try (Sweeper collector = new Sweeper()) {
            List<String> keys = collector.claimPendingObjects(swept.digest.toString());
            for (String key : keys) {
                store.delete(new StorageKey(key)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            collector.commit();
            assertThat(keys).as("a later object collection has nothing to delete").isEmpty();
        }
        assertPulls(repo, swept);
    }

    private void assertPulls(String repo, Swept swept) {
        assertThat(Files.exists(file(swept.key))).as("the blob's file").isTrue();
        byte[] pulled = given().get("/v2/" + repo + "/blobs/" + swept.digest).then().statusCode(200)
                .extract().asByteArray();
        assertThat(pulled).isEqualTo(swept.content);
    }

    private Path file(String key) {
        return store.localFile(new StorageKey(key)).orElseThrow();
    }

    private Object inode(String key) throws Exception {
        return Files.getAttribute(file(key), "unix:ino");
    }
}
