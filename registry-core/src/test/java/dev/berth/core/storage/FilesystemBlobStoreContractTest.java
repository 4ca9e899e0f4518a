package dev.berth.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.storage.filesystem.FilesystemBlobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract against the filesystem driver, in a temporary folder. */
class FilesystemBlobStoreContractTest extends BlobStoreContractTest {
    @TempDir
    Path root;

    @Override
    protected BlobStore createStore() {
        return new FilesystemBlobStore(vertx, root, 0);
    }

    @Override
    protected void assertUploadGone(String uploadId, String handle) {
        assertThat(Files.exists(root.resolve("uploads").resolve(uploadId))).isFalse();
    }
}
