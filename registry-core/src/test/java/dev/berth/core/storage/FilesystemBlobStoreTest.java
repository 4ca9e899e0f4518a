package dev.berth.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.core.digest.Digest;
import dev.berth.core.storage.filesystem.FilesystemBlobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemBlobStoreTest {
    @TempDir
    Path root;
    Vertx vertx;
    FilesystemBlobStore store;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        store = new FilesystemBlobStore(vertx, root, 0);
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private ReadStream<Buffer> streamOf(byte[] bytes) throws Exception {
        Path tmp = Files.createTempFile(root, "chunk", ".bin");
        Files.write(tmp, bytes);
        return await(vertx.fileSystem().open(tmp.toString(), new io.vertx.core.file.OpenOptions().setRead(true)));
    }

    @Test
    void chunksCommitZeroCopyAndDeduplicate() throws Exception {
        byte[] data = new byte[300_000];
        new Random(1).nextBytes(data);
        String handle = await(store.beginUpload("u1"));
        assertThat(await(store.writeChunk(handle, 0, streamOf(Arrays.copyOf(data, 100_000)))).bytesWritten()).isEqualTo(100_000);
        // a crashed attempt may leave extra bytes; the next chunk overwrites from the accepted offset
        await(store.writeChunk(handle, 100_000, streamOf(new byte[50_000])));
        await(store.writeChunk(handle, 100_000, streamOf(Arrays.copyOfRange(data, 100_000, 300_000))));
        Digest digest = Digest.sha256Of(data);
        StorageKey key = await(store.commitUpload(handle, data.length, digest));
        assertThat(Files.readAllBytes(store.localFile(key).orElseThrow())).isEqualTo(data);
        assertThat(Files.exists(root.resolve("uploads/u1"))).isFalse();

        String again = await(store.beginUpload("u2"));
        await(store.writeChunk(again, 0, streamOf(data)));
        assertThat(await(store.commitUpload(again, data.length, digest))).isEqualTo(key);
        assertThat(Files.exists(root.resolve("uploads/u2"))).isFalse();
    }

    @Test
    void aReadStreamClosesItsFileOnceItHasEnded() throws Exception {
        byte[] data = new byte[10_000];
        new Random(2).nextBytes(data);
        String handle = await(store.beginUpload("r1"));
        await(store.writeChunk(handle, 0, streamOf(data)));
        StorageKey key = await(store.commitUpload(handle, data.length, Digest.sha256Of(data)));
        Path blob = store.localFile(key).orElseThrow().toRealPath();
        for (int i = 0; i < 20; i++) {
            Buffer read = await(readAll(await(store.read(key, 100, 5_000))));
            assertThat(read.getBytes()).isEqualTo(Arrays.copyOfRange(data, 100, 5_100));
        }
        // every stream ended: none of them may still hold the blob open (Linux: the process's descriptors). The
        // close runs on a worker thread after the end, so the last one may still be on its way: wait for it a little.
        Path fds = Path.of("/proc/self/fd");
        if (Files.isDirectory(fds)) {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            long open = descriptorsOn(fds, blob);
            while (open > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
                open = descriptorsOn(fds, blob);
            }
            assertThat(open).as("descriptors still open on the blob 5 s after 20 reads ended").isZero();
        }
    }

    private static long descriptorsOn(Path fds, Path file) throws java.io.IOException {
        long open = 0;
        try (var entries = Files.list(fds)) {
            for (Path fd : (Iterable<Path>) entries::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).equals(file)) {
                        open++;
                    }
                } catch (java.io.IOException gone) {
                    // the descriptor of the listing itself, closed meanwhile
                }
            }
        }
        return open;
    }

    private Future<Buffer> readAll(ReadStream<Buffer> stream) {
        io.vertx.core.Promise<Buffer> done = io.vertx.core.Promise.promise();
        Buffer all = Buffer.buffer();
        stream.exceptionHandler(done::tryFail);
        stream.endHandler(v -> done.tryComplete(all));
        stream.handler(all::appendBuffer);
        stream.resume();
        return done.future();
    }

    @Test
    void commitRefusesAnUploadShorterThanItsSize() throws Exception {
        String handle = await(store.beginUpload("short"));
        await(store.writeChunk(handle, 0, streamOf(new byte[10])));
        assertThatThrownBy(() -> await(store.commitUpload(handle, 20, Digest.sha256Of("x"))))
                .hasCauseInstanceOf(StorageException.class);
    }

    @Test
    void abortAndDeleteAreIdempotent() throws Exception {
        String handle = await(store.beginUpload("gone"));
        await(store.abortUpload(handle));
        await(store.abortUpload(handle));
        StorageKey key = StorageKey.forBlob(Digest.sha256Of("nothing"));
        await(store.delete(key));
        assertThat(await(store.health()).up()).isTrue();
    }

    @Test
    void storageKeysRejectTraversal() {
        assertThatThrownBy(() -> new StorageKey("../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StorageKey("/abs")).isInstanceOf(IllegalArgumentException.class);
    }
}
