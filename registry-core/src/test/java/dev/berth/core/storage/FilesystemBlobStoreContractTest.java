package dev.berth.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.storage.filesystem.FilesystemBlobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract against the filesystem driver, in a temporary folder. */
class FilesystemBlobStoreContractTest extends BlobStoreContractTest {
    @TempDir
    Path root;

    @Override
    protected BlobStore createStore() {
        return new FilesystemBlobStore(vertx, root, 0);
    }

    /** A key that cannot be deleted (here a non-empty folder in its place) is returned; the others are deleted. */
    @Test
    void deleteAllReturnsTheKeysItCouldNotDelete() throws Exception {
        BlobStore store = newStore();
        StorageKey stuck = new StorageKey("blobs/sha256/aa/stuck/data");
        Files.createDirectories(root.resolve(stuck.path()).resolve("inside"));
        List<StorageKey> keys = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            StorageKey key = new StorageKey("blobs/sha256/bb/k" + i + "/data");
            Files.createDirectories(root.resolve(key.path()).getParent());
            Files.write(root.resolve(key.path()), new byte[] {(byte) i});
            keys.add(key);
        }
        keys.add(4, stuck);
        assertThat(await(() -> store.deleteAll(keys))).containsExactly(stuck.path());
        for (StorageKey key : keys) {
            assertThat(Files.exists(root.resolve(key.path()))).isEqualTo(key.equals(stuck));
        }
        // emptied blob folders go with their file
        assertThat(Files.exists(root.resolve("blobs/sha256/bb/k0"))).isFalse();
    }

    @Override
    protected void assertUploadGone(String uploadId, String handle) {
        assertThat(Files.exists(root.resolve("uploads").resolve(uploadId))).isFalse();
    }
}
