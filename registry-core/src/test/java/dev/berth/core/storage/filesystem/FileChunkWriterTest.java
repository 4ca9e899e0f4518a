package dev.berth.core.storage.filesystem;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileChunkWriterTest {
    private final Vertx vertx = Vertx.vertx();
    private final ExecutorService pool = Executors.newFixedThreadPool(3);

    @AfterEach
    void close() throws Exception {
        pool.shutdownNow();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Runs {@code work} on an event-loop context and waits for the future it returns. */
    private <T> T onContext(Function<Context, Future<T>> work) throws Exception {
        Context context = vertx.getOrCreateContext();
        CompletableFuture<T> result = new CompletableFuture<>();
        context.runOnContext(v -> work.apply(context).onComplete(ar -> {
            if (ar.succeeded()) {
                result.complete(ar.result());
            } else {
                result.completeExceptionally(ar.cause());
            }
        }));
        return result.get(20, TimeUnit.SECONDS);
    }

    @Test
    void piecesOfEverySizeLandInOrderAtTheOffset(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("upload");
        Files.write(target, new byte[] {1, 2, 3});
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(5).nextBytes(data);
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE)) {
            long accepted = onContext(context -> {
                FileChunkWriter writer = new FileChunkWriter(context, pool, channel, 3, 64 * 1024, 256 * 1024, 512 * 1024);
                // pieces of every size around the batch: 1 byte, 32 KiB, just under, over, 1 MiB and a few bytes;
                // slices of one array, as a body's pieces are views of what was received
                int[] sizes = {1, 32 * 1024, 64 * 1024 - 1, 64 * 1024 + 1, 1024 * 1024, 7};
                Buffer whole = Buffer.buffer(data);
                int at = 0;
                for (int i = 0; at < data.length; i++) {
                    int n = Math.min(sizes[i % sizes.length], data.length - at);
                    writer.write(whole.slice(at, at + n));
                    at += n;
                }
                return writer.end().map(v -> writer.accepted());
            });
            assertThat(accepted).isEqualTo(data.length);
        }
        byte[] written = Files.readAllBytes(target);
        assertThat(written.length).isEqualTo(3 + data.length);
        assertThat(Arrays.copyOfRange(written, 0, 3)).containsExactly(1, 2, 3);
        assertThat(Arrays.copyOfRange(written, 3, written.length)).isEqualTo(data);
    }

    @Test
    void aFailedWriteFailsTheRestAndStillSettles(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("read-only");
        Files.createFile(target);
        try (FileChannel readOnly = FileChannel.open(target, StandardOpenOption.READ)) {
            List<String> outcome = onContext(context -> {
                FileChunkWriter writer = new FileChunkWriter(context, pool, readOnly, 0, 1024, 64 * 1024, 1 << 20);
                List<Future<Void>> writes = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    writes.add(writer.write(Buffer.buffer(new byte[1024])));
                }
                List<String> seen = new ArrayList<>();
                return writer.settled()
                        .compose(v -> {
                            seen.add("settled");
                            writes.forEach(w -> seen.add(w.failed() ? "failed" : "written"));
                            return writer.end().transform(ar -> Future.succeededFuture(ar.failed() ? "end failed" : "end ok"));
                        })
                        .map(end -> {
                            seen.add(end);
                            seen.add(writer.write(Buffer.buffer(new byte[1])).failed() ? "late write failed" : "late write ok");
                            return seen;
                        });
            });
            assertThat(outcome).containsExactly("settled", "failed", "failed", "failed", "failed", "failed", "failed",
                    "failed", "failed", "end failed", "late write failed");
        }
    }

    @Test
    void aFullQueuePausesTheSenderUntilHalfOfItIsWritten(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("queue");
        Files.createFile(target);
        // a disk that only writes when told to
        List<Runnable> held = new ArrayList<>();
        Executor heldDisk = held::add;
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE)) {
            AtomicInteger drained = new AtomicInteger();
            boolean[] fullBefore = new boolean[1];
            boolean[] fullAfter = new boolean[1];
            onContext(context -> {
                FileChunkWriter writer = new FileChunkWriter(context, heldDisk, channel, 0, 1024, 4096, 1 << 20);
                for (int i = 0; i < 4; i++) {
                    writer.write(Buffer.buffer(new byte[1024]));
                }
                fullBefore[0] = writer.writeQueueFull();
                writer.drainHandler(v -> drained.incrementAndGet());
                // the serial executor drains every queued batch in its one task
                pool.execute(held.remove(0));
                return writer.end().map(v -> {
                    fullAfter[0] = writer.writeQueueFull();
                    return null;
                });
            });
            assertThat(fullBefore[0]).isTrue();
            assertThat(fullAfter[0]).isFalse();
            assertThat(drained).hasValue(1);
            assertThat(Files.size(target)).isEqualTo(4096);
        }
    }
}
