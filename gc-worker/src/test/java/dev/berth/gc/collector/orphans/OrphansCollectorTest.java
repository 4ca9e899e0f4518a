package dev.berth.gc.collector.orphans;

import dev.berth.gc.support.RecordingScope;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.storage.StorageKey;
import dev.berth.gc.collector.CleanupProfiles;

import dev.berth.gc.support.CleanupRows;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The orphan scan on the filesystem store (grace 1 h, upload age 24 h, pages of 4) and real PostgreSQL. */
@QuarkusTest
@TestProfile(CleanupProfiles.Filesystem.class)
class OrphansCollectorTest {
    private static final Path ROOT = Path.of(CleanupProfiles.Filesystem.ROOT);

    @Inject
    OrphansCollector collector;
    @Inject
    Pool pool;

    CleanupRows rows;
    long repository;

    @BeforeEach
    void setUp() throws IOException {
        rows = new CleanupRows(pool);
        rows.execute("delete from upload_session");
        rows.execute("delete from gc_pending_object");
        rows.execute("delete from blob b where not exists (select 1 from repository_blob l where l.digest = b.digest)");
        for (String folder : List.of("blobs", "uploads")) {
            Files.createDirectories(ROOT.resolve(folder));
            try (Stream<Path> walk = Files.walk(ROOT.resolve(folder))) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    if (!p.equals(ROOT.resolve(folder))) {
                        Files.delete(p);
                    }
                }
            }
        }
        repository = rows.repository("cleanup/orphans");
    }

    /** A blob's file as the filesystem store lays it out, last written {@code age} ago. */
    private static Blob blobFile(String content, Duration age) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256Of(bytes);
        StorageKey key = StorageKey.forBlob(digest);
        write(ROOT.resolve(key.path()), bytes, age);
        return new Blob(digest.toString(), key.path(), bytes.length);
    }

    private record Blob(String digest, String key, long size) {
        Path file() {
            return ROOT.resolve(key);
        }
    }

    private static Path uploadFile(UUID id, int size, Duration age) throws IOException {
        Path file = ROOT.resolve("uploads").resolve(id.toString()).resolve("data");
        write(file, new byte[size], age);
        return file;
    }

    private static void write(Path file, byte[] content, Duration age) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(age)));
    }

    @Test
    void deletesOnlyWhatNothingNamesAndIsOldEnough() throws Exception {
        Blob orphan = blobFile("orphan", Duration.ofHours(2));
        Blob referenced = blobFile("referenced", Duration.ofHours(2));
        rows.blob(referenced.digest(), referenced.size(), referenced.key());
        Blob pending = blobFile("pending", Duration.ofHours(2));
        rows.pendingObject(pending.key(), pending.digest(), pending.size());
        Blob young = blobFile("young", Duration.ofMinutes(30));
        UUID live = UUID.randomUUID();
        Path liveUpload = uploadFile(live, 10, Duration.ofHours(30));
        rows.uploadSession(repository, live, "uploads/" + live + "/data", 10, java.time.OffsetDateTime.now());
        Path deadUpload = uploadFile(UUID.randomUUID(), 20, Duration.ofHours(30));
        Path recentUpload = uploadFile(UUID.randomUUID(), 30, Duration.ofHours(2));

        RecordingScope dry = new RecordingScope(true);
        collector.collect(dry);
        assertThat(dry.objects(OrphansCollector.NAME)).isEqualTo(2);
        assertThat(dry.bytes(OrphansCollector.NAME)).isEqualTo(orphan.size() + 20);
        for (Path p : List.of(orphan.file(), referenced.file(), pending.file(), young.file(), liveUpload, deadUpload,
                recentUpload)) {
            assertThat(p).as("after the dry run").exists();
        }

        RecordingScope scope = new RecordingScope(false);
        collector.collect(scope);
        assertThat(scope.errors).isEmpty();
        assertThat(scope.objects(OrphansCollector.NAME)).isEqualTo(2);
        assertThat(scope.bytes(OrphansCollector.NAME)).isEqualTo(orphan.size() + 20);
        assertThat(orphan.file()).doesNotExist();
        assertThat(orphan.file().getParent()).doesNotExist();
        assertThat(deadUpload.getParent()).doesNotExist();
        // the pending deletion is the objects collector's
        for (Path p : List.of(referenced.file(), pending.file(), young.file(), liveUpload, recentUpload)) {
            assertThat(p).exists();
        }
        assertThat(scope.progress).last().asString().contains("done");
    }

    @Test
    void pagesThroughMoreObjectsThanAPage() throws Exception {
        List<Blob> orphans = new ArrayList<>();
        List<Blob> kept = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            orphans.add(blobFile("orphan " + i, Duration.ofHours(3)));
            Blob k = blobFile("kept " + i, Duration.ofHours(3));
            rows.blob(k.digest(), k.size(), k.key());
            kept.add(k);
        }

        RecordingScope scope = new RecordingScope(false);
        collector.collect(scope);

        assertThat(scope.objects(OrphansCollector.NAME)).isEqualTo(11);
        assertThat(scope.bytes(OrphansCollector.NAME)).isEqualTo(orphans.stream().mapToLong(Blob::size).sum());
        orphans.forEach(b -> assertThat(b.file()).doesNotExist());
        kept.forEach(b -> assertThat(b.file()).exists());
        // 22 objects in pages of 4: a progress line per page
        assertThat(scope.progress.stream().filter(p -> p.contains(" at blobs/"))).hasSizeGreaterThanOrEqualTo(6);
    }
}
