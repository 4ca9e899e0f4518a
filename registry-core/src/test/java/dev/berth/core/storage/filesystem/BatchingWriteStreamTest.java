package dev.berth.core.storage.filesystem;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchingWriteStreamTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void smallAndLargePiecesLandInOrderAtTheOffset(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("upload");
        Files.write(target, new byte[] {1, 2, 3});
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(5).nextBytes(data);
        AsyncFile file = vertx.fileSystem().open(target.toString(), new OpenOptions().setWrite(true))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        file.setWritePos(3);
        BatchingWriteStream batches = new BatchingWriteStream(file, 64 * 1024, 256 * 1024);
        // pieces of every size around the batch: 1 byte, 32 KiB, just under, over, 1 MiB and a few bytes
        int[] sizes = {1, 32 * 1024, 64 * 1024 - 1, 64 * 1024 + 1, 1024 * 1024, 7};
        int at = 0;
        for (int i = 0; at < data.length; i++) {
            int n = Math.min(sizes[i % sizes.length], data.length - at);
            batches.write(Buffer.buffer(data).getBuffer(at, at + n));
            at += n;
        }
        batches.flush().compose(v -> file.close()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        byte[] written = Files.readAllBytes(target);
        assertThat(written.length).isEqualTo(3 + data.length);
        assertThat(Arrays.copyOfRange(written, 0, 3)).containsExactly(1, 2, 3);
        assertThat(Arrays.copyOfRange(written, 3, written.length)).isEqualTo(data);
    }

    @Test
    void flushWithNothingPendingWaitsForNothing(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("empty");
        Files.createFile(target);
        AsyncFile file = vertx.fileSystem().open(target.toString(), new OpenOptions().setWrite(true))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        BatchingWriteStream batches = new BatchingWriteStream(file, 1024, 4096);
        batches.flush().compose(v -> file.close()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(Files.size(target)).isZero();
    }
}
