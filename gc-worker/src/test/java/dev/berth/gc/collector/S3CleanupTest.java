package dev.berth.gc.collector;

import dev.berth.gc.support.RecordingScope;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.MultipartPage;
import dev.berth.core.storage.ObjectPage;
import dev.berth.core.storage.PendingMultipart;
import dev.berth.core.storage.StorageKey;
import dev.berth.core.storage.StoredObject;
import dev.berth.gc.collector.orphans.OrphansCollector;
import dev.berth.gc.collector.uploads.UploadsCollector;

import dev.berth.gc.support.CleanupRows;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cleanup collectors on S3 (S3Proxy) with real uploads written by the S3 driver: blob objects written straight
 * into {@code blobs/<upload>/data}, multipart uploads with their marker and pending tails under
 * {@code uploads/<upload>/}. Objects cannot be made old here: the profile's grace is 3 s, its upload age 6 s.
 */
@QuarkusTest
@TestProfile(CleanupProfiles.S3.class)
class S3CleanupTest {
    /** More than S3's minimum part: a chunk of unknown length this large starts a multipart upload. */
    private static final int LARGE = 6 * 1024 * 1024;

    @Inject
    UploadsCollector uploads;
    @Inject
    OrphansCollector orphans;
    @Inject
    BlobStore store;
    @Inject
    Pool pool;
    @Inject
    Vertx vertx;

    CleanupRows rows;
    long repository;

    @BeforeEach
    void setUp() throws Exception {
        rows = new CleanupRows(pool);
        rows.execute("delete from upload_session");
        rows.execute("delete from gc_pending_object");
        rows.execute("delete from blob b where not exists (select 1 from repository_blob l where l.digest = b.digest)");
        repository = rows.repository("cleanup/s3");
        for (StoredObject o : objects("")) {
            call(() -> store.delete(new StorageKey(o.key())));
        }
        for (PendingMultipart u : multiparts("")) {
            call(() -> store.abortMultipart(u.key(), u.uploadId()));
        }
    }

    /** Runs a store call on an event-loop context, as registry-api does, and waits for it. */
    private <T> T call(Supplier<Future<T>> call) {
        Promise<T> promise = Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> call.get().onComplete(promise));
        return StorageCalls.await(promise.future());
    }

    /** Starts upload {@code id} and writes {@code content} as its first chunk; returns the handle after it. */
    private String write(UUID id, byte[] content, boolean announced) throws Exception {
        Path file = Files.createTempFile("chunk", ".bin");
        Files.write(file, content);
        try {
            String handle = call(() -> store.beginUpload(id.toString()));
            return call(() -> vertx.fileSystem().open(file.toString(), new OpenOptions().setRead(true))
                    .compose(f -> store.writeChunk(handle, 0, f, announced ? content.length : -1)
                            .eventually(() -> f.close())))
                    .handle();
        } finally {
            Files.delete(file);
        }
    }

    private List<StoredObject> objects(String prefix) {
        List<StoredObject> all = new ArrayList<>();
        String after = null;
        while (true) {
            String from = after;
            ObjectPage page = call(() -> store.list(prefix, from, 1000));
            all.addAll(page.objects());
            if (!page.truncated()) {
                return all;
            }
            after = page.lastKey();
        }
    }

    private List<PendingMultipart> multiparts(String prefix) {
        List<PendingMultipart> all = new ArrayList<>();
        String after = null;
        do {
            String from = after;
            MultipartPage page = call(() -> store.multipartUploads(prefix, from, 1000));
            all.addAll(page.uploads());
            after = page.next();
        } while (after != null);
        return all;
    }

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** Waits until {@code age} has passed since {@code since} (storage times cannot be set on S3). */
    private static void waitUntilOlderThan(Instant since, Duration age) throws InterruptedException {
        Instant deadline = since.plus(age).plusMillis(1100);
        while (Instant.now().isBefore(deadline)) {
            Thread.sleep(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()));
        }
    }

    @Test
    void aStaleUploadIsAbortedWithItsMultipartUploadAndPendingTails() throws Exception {
        UUID id = UUID.randomUUID();
        String handle = write(id, random(LARGE), false);
        rows.uploadSession(repository, id, handle, LARGE, OffsetDateTime.now().minusDays(2));
        assertThat(objects("uploads/" + id + "/")).isNotEmpty();
        assertThat(multiparts("blobs/" + id + "/")).hasSize(1);

        RecordingScope scope = new RecordingScope(false);
        uploads.collect(scope);

        assertThat(scope.errors).isEmpty();
        assertThat(scope.objects(UploadsCollector.NAME)).isEqualTo(1);
        assertThat(scope.bytes(UploadsCollector.NAME)).isEqualTo(LARGE);
        assertThat(rows.uploadSessionExists(id)).isFalse();
        assertThat(objects("uploads/" + id + "/")).isEmpty();
        assertThat(objects("blobs/" + id + "/")).isEmpty();
        assertThat(multiparts("blobs/" + id + "/")).isEmpty();
    }

    @Test
    void theOrphanScanDeletesWhatNothingNamesAndAbortsMultipartUploadsWithoutASession() throws Exception {
        UUID orphan = UUID.randomUUID();
        write(orphan, random(10), true);
        UUID live = UUID.randomUUID();
        rows.uploadSession(repository, live, write(live, random(11), true), 11, OffsetDateTime.now());
        UUID committed = UUID.randomUUID();
        byte[] content = random(12);
        String committedHandle = write(committed, content, true);
        StorageKey key = call(() -> store.commitUpload(committedHandle, content.length, Digest.sha256Of(content)));
        rows.blob(Digest.sha256Of(content).toString(), content.length, key.path());
        UUID pending = UUID.randomUUID();
        write(pending, random(13), true);
        rows.pendingObject("blobs/" + pending + "/data", "sha256:" + "0".repeat(64), 13);
        UUID abandoned = UUID.randomUUID();
        write(abandoned, random(LARGE), false);
        UUID liveLarge = UUID.randomUUID();
        rows.uploadSession(repository, liveLarge, write(liveLarge, random(LARGE), false), LARGE, OffsetDateTime.now());
        for (int i = 0; i < 4; i++) {
            write(UUID.randomUUID(), random(1), true);
        }
        List<StoredObject> abandonedObjects = objects("uploads/" + abandoned + "/");
        assertThat(abandonedObjects).isNotEmpty();
        waitUntilOlderThan(Instant.now(), Duration.ofSeconds(6));
        UUID young = UUID.randomUUID();
        write(young, random(14), true);

        long expectedObjects = 1 + 4 + abandonedObjects.size() + 1;
        long expectedBytes = 10 + 4 + abandonedObjects.stream().mapToLong(StoredObject::size).sum();
        RecordingScope dry = new RecordingScope(true);
        orphans.collect(dry);
        assertThat(dry.objects(OrphansCollector.NAME)).isEqualTo(expectedObjects);
        assertThat(dry.bytes(OrphansCollector.NAME)).isEqualTo(expectedBytes);
        assertThat(objects("blobs/" + orphan + "/")).hasSize(1);
        assertThat(multiparts("blobs/" + abandoned + "/")).hasSize(1);

        RecordingScope scope = new RecordingScope(false);
        orphans.collect(scope);
        assertThat(scope.errors).isEmpty();
        assertThat(scope.objects(OrphansCollector.NAME)).isEqualTo(expectedObjects);
        assertThat(scope.bytes(OrphansCollector.NAME)).isEqualTo(expectedBytes);
        assertThat(objects("blobs/" + orphan + "/")).isEmpty();
        assertThat(objects("uploads/" + abandoned + "/")).isEmpty();
        assertThat(multiparts("blobs/" + abandoned + "/")).isEmpty();
        assertThat(objects("blobs/" + live + "/")).hasSize(1);
        assertThat(objects(key.path())).hasSize(1);
        assertThat(objects("blobs/" + pending + "/")).hasSize(1);
        assertThat(objects("blobs/" + young + "/")).hasSize(1);
        assertThat(objects("uploads/" + liveLarge + "/")).isNotEmpty();
        assertThat(multiparts("blobs/" + liveLarge + "/")).hasSize(1);
        // more objects than a page (3) under blobs/: one progress line per page
        assertThat(scope.progress.stream().filter(p -> p.contains(" at blobs/"))).hasSizeGreaterThanOrEqualTo(3);
    }
}
