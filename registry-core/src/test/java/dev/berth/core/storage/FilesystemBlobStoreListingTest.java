package dev.berth.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.storage.filesystem.FilesystemBlobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listing contract on the filesystem driver, and its guarded deletion of orphans: a file that a commit reused or
 * put in place after the scan decided stays.
 */
class FilesystemBlobStoreListingTest extends BlobStoreListingContractTest {
    @TempDir
    Path root;

    @Override
    protected BlobStore createStore() {
        return new FilesystemBlobStore(vertx, root, 0);
    }

    @Override
    protected void put(String key, byte[] content) throws Exception {
        Path file = root.resolve(key);
        Files.createDirectories(file.getParent());
        Files.write(file, content);
    }

    private Path stored(byte[] content) throws Exception {
        Path file = root.resolve(StorageKey.forBlob(Digest.sha256Of(content)).path());
        put(StorageKey.forBlob(Digest.sha256Of(content)).path(), content);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(2, ChronoUnit.HOURS)));
        return file;
    }

    @Test
    void deletesAnUnchangedOrphanAndItsFolder() throws Exception {
        Path file = stored("orphan".getBytes());
        String key = root.relativize(file).toString();
        assertThat(await(() -> store.deleteUnchangedSince(key, Instant.now().minusSeconds(3600)))).isTrue();
        assertThat(file).doesNotExist();
        assertThat(file.getParent()).doesNotExist();
        assertThat(root.resolve("blobs")).isDirectory();
        assertThat(await(() -> store.deleteUnchangedSince(key, Instant.now()))).isFalse();
    }

    @Test
    void keepsAFileWrittenSinceTheScan() throws Exception {
        Path file = stored("touched".getBytes());
        String key = root.relativize(file).toString();
        Instant cutoff = Instant.now().minusSeconds(3 * 3600);
        assertThat(await(() -> store.deleteUnchangedSince(key, cutoff))).isFalse();
        assertThat(file).hasBinaryContent("touched".getBytes());
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void aCommitOfAStoredDigestMarksTheFileAsWritten() throws Exception {
        byte[] content = "again".getBytes();
        Path file = stored(content);
        Instant scan = Instant.now().minusSeconds(1);
        String handle = await(() -> store.beginUpload("u1"));
        Files.write(root.resolve(handle), content);
        await(() -> store.commitUpload(handle, content.length, Digest.sha256Of(content)));
        assertThat(Files.getLastModifiedTime(file).toInstant()).isAfter(scan);
        assertThat(await(() -> store.deleteUnchangedSince(root.relativize(file).toString(), scan))).isFalse();
        assertThat(file).hasBinaryContent(content);
    }

    @Test
    void aCommittedUploadIsMarkedAsWrittenAtItsCommit() throws Exception {
        byte[] content = "fresh".getBytes();
        String handle = await(() -> store.beginUpload("u2"));
        Files.write(root.resolve(handle), content);
        Files.setLastModifiedTime(root.resolve(handle), FileTime.from(Instant.now().minus(5, ChronoUnit.HOURS)));
        Instant scan = Instant.now().minusSeconds(1);
        StorageKey key = await(() -> store.commitUpload(handle, content.length, Digest.sha256Of(content)));
        assertThat(await(() -> store.deleteUnchangedSince(key.path(), scan))).isFalse();
        assertThat(root.resolve(key.path())).hasBinaryContent(content);
    }

    @Test
    void aListingPutsBackAFileLeftInTheTrash() throws Exception {
        Path file = stored("left".getBytes());
        Path trash = file.resolveSibling("data.gc-deleting");
        Files.move(file, trash);
        ObjectPage page = await(() -> store.list("blobs/", null, 10));
        assertThat(page.objects()).isEmpty();
        assertThat(file).hasBinaryContent("left".getBytes());
        assertThat(trash).doesNotExist();
        assertThat(await(() -> store.list("blobs/", null, 10)).objects()).extracting(StoredObject::key)
                .containsExactly(root.relativize(file).toString());
    }
}
