package dev.berth.gc.collector.uploads;

import dev.berth.gc.support.RecordingScope;
import static dev.berth.gc.collector.StorageCalls.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.storage.BlobStore;
import dev.berth.gc.collector.CleanupProfiles;

import dev.berth.gc.support.CleanupRows;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The uploads collector on the filesystem store and real PostgreSQL. */
@QuarkusTest
@TestProfile(CleanupProfiles.Filesystem.class)
class UploadsCollectorTest {
    @Inject
    UploadsCollector collector;
    @Inject
    BlobStore store;
    @Inject
    Pool pool;

    CleanupRows rows;
    long repository;

    @BeforeEach
    void setUp() {
        rows = new CleanupRows(pool);
        rows.execute("delete from upload_session");
        repository = rows.repository("cleanup/uploads");
    }

    /** An upload with {@code size} bytes written, last written to {@code age} ago. */
    private UUID upload(int size, Duration age) throws Exception {
        UUID id = UUID.randomUUID();
        String handle = await(store.beginUpload(id.toString()));
        Files.write(Path.of(CleanupProfiles.Filesystem.ROOT, handle), new byte[size]);
        rows.uploadSession(repository, id, handle, size, OffsetDateTime.now().minus(age));
        return id;
    }

    private static Path uploadFolder(UUID id) {
        return Path.of(CleanupProfiles.Filesystem.ROOT, "uploads", id.toString());
    }

    @Test
    void staleSessionsAreAbortedInBatchesAndFreshOnesKept() throws Exception {
        List<UUID> stale = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            stale.add(upload(100 + i, Duration.ofHours(25 + i)));
        }
        UUID fresh = upload(7, Duration.ofHours(23));

        RecordingScope scope = new RecordingScope(false);
        collector.collect(scope);

        assertThat(scope.objects(UploadsCollector.NAME)).isEqualTo(5);
        assertThat(scope.bytes(UploadsCollector.NAME)).isEqualTo(100 + 101 + 102 + 103 + 104);
        assertThat(scope.errors).isEmpty();
        for (UUID id : stale) {
            assertThat(rows.uploadSessionExists(id)).isFalse();
            assertThat(uploadFolder(id)).doesNotExist();
        }
        assertThat(rows.uploadSessionExists(fresh)).isTrue();
        assertThat(uploadFolder(fresh).resolve("data")).hasSize(7);
    }

    @Test
    void aDryRunOnlyCounts() throws Exception {
        UUID a = upload(10, Duration.ofDays(2));
        UUID b = upload(20, Duration.ofDays(3));

        RecordingScope scope = new RecordingScope(true);
        collector.collect(scope);

        assertThat(scope.objects(UploadsCollector.NAME)).isEqualTo(2);
        assertThat(scope.bytes(UploadsCollector.NAME)).isEqualTo(30);
        for (UUID id : List.of(a, b)) {
            assertThat(rows.uploadSessionExists(id)).isTrue();
            assertThat(uploadFolder(id).resolve("data")).exists();
        }
    }

    @Test
    void aSessionARequestHoldsIsSkipped() throws Exception {
        UUID busy = upload(10, Duration.ofDays(2));
        UUID idle = upload(20, Duration.ofDays(2));
        // registry-api holds the row while it writes a chunk (FOR UPDATE NOWAIT) or commits
        SqlConnection request = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        try {
            Transaction tx = request.begin().await().atMost(Duration.ofSeconds(10));
            request.preparedQuery("select id from upload_session where id = $1 for update nowait")
                    .execute(Tuple.of(busy)).await().atMost(Duration.ofSeconds(10));

            RecordingScope scope = new RecordingScope(false);
            collector.collect(scope);

            assertThat(scope.objects(UploadsCollector.NAME)).isEqualTo(1);
            assertThat(rows.uploadSessionExists(idle)).isFalse();
            assertThat(rows.uploadSessionExists(busy)).isTrue();
            assertThat(uploadFolder(busy).resolve("data")).exists();
            tx.rollback().await().atMost(Duration.ofSeconds(10));
        } finally {
            request.close().await().atMost(Duration.ofSeconds(10));
        }

        RecordingScope later = new RecordingScope(false);
        collector.collect(later);
        assertThat(later.objects(UploadsCollector.NAME)).isEqualTo(1);
        assertThat(rows.uploadSessionExists(busy)).isFalse();
        assertThat(uploadFolder(busy)).doesNotExist();
    }
}
