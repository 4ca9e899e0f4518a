package dev.berth.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.core.digest.Digest;
import dev.berth.core.storage.BlobStore.ChunkWritten;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link BlobStore} driver owes the registry, run against each driver by a subclass
 * on a real backend. Every store call runs on a Vert.x event-loop context, as in registry-api, and each
 * {@link #newStore()} is a fresh instance, standing in for another replica.
 */
public abstract class BlobStoreContractTest {
    protected static final int MIB = 1024 * 1024;
    /** Chunk sizes are chosen around S3's 5 MiB part minimum, the smallest part size a driver may use. */
    protected static final int PART = 5 * MIB;

    protected Vertx vertx;
    private final List<BlobStore> stores = new ArrayList<>();

    /** A new driver instance over the same backend (another replica). */
    protected abstract BlobStore createStore();

    /** Asserts that nothing of the upload is left in the backend after an abort. */
    protected abstract void assertUploadGone(String uploadId, String handle) throws Exception;

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void closeStores() throws Exception {
        for (BlobStore store : stores) {
            if (store instanceof AutoCloseable closeable) {
                closeable.close();
            }
        }
        stores.clear();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    protected BlobStore newStore() {
        return track(createStore());
    }

    /** Closes {@code store} after the test. */
    protected <S extends BlobStore> S track(S store) {
        stores.add(store);
        return store;
    }

    /** Runs {@code call} on a fresh event-loop context and waits for its result. */
    protected <T> T await(Context context, Supplier<Future<T>> call) throws Exception {
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> {
            try {
                call.get().onComplete(promise);
            } catch (RuntimeException e) {
                promise.fail(e);
            }
        });
        return promise.future().toCompletionStage().toCompletableFuture().get(300, TimeUnit.SECONDS);
    }

    protected <T> T await(Supplier<Future<T>> call) throws Exception {
        return await(vertx.getOrCreateContext(), call);
    }

    protected static byte[] random(int size) {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    protected String upload(BlobStore store, String id) throws Exception {
        return await(() -> store.beginUpload(id));
    }

    protected ChunkWritten write(BlobStore store, String handle, long offset, byte[] chunk) throws Exception {
        Context context = vertx.getOrCreateContext();
        return await(context, () -> store.writeChunk(handle, offset, TestStreams.of(context, chunk)));
    }

    /** Writes a chunk whose length the client announced ({@code Content-Length}), as most pushes do. */
    protected ChunkWritten writeAnnounced(BlobStore store, String handle, long offset, byte[] chunk) throws Exception {
        return writeAnnounced(store, handle, offset, chunk, chunk.length);
    }

    /** Writes {@code chunk} announced as {@code length} bytes (a client that sends another number of bytes). */
    protected ChunkWritten writeAnnounced(BlobStore store, String handle, long offset, byte[] chunk, long length)
            throws Exception {
        Context context = vertx.getOrCreateContext();
        return await(context, () -> store.writeChunk(handle, offset, TestStreams.of(context, chunk), length));
    }

    /** {@code data} as a request body that delivers it on {@code context}. */
    protected static ReadStream<Buffer> bodyOf(Context context, byte[] data) {
        return TestStreams.of(context, data);
    }

    protected byte[] read(BlobStore store, StorageKey key, long offset, long length) throws Exception {
        Context context = vertx.getOrCreateContext();
        return await(context, () -> store.read(key, offset, length).compose(s -> TestStreams.readAll(context, s)));
    }

    protected static String newId() {
        return UUID.randomUUID().toString();
    }

    // -------------------------------------------------------------------------------------------- tests

    @Test
    void writeReadAndRanges() throws Exception {
        BlobStore store = newStore();
        byte[] data = random(PART + PART / 2 + 123);
        String handle = upload(store, newId());
        ChunkWritten written = write(store, handle, 0, data);
        assertThat(written.bytesWritten()).isEqualTo(data.length);
        StorageKey key = await(() -> store.commitUpload(written.handle(), data.length, Digest.sha256Of(data)));

        assertThat(read(store, key, 0, data.length)).isEqualTo(data);
        assertThat(read(store, key, 0, 1)).isEqualTo(Arrays.copyOfRange(data, 0, 1));
        assertThat(read(store, key, data.length - 1, 1)).isEqualTo(Arrays.copyOfRange(data, data.length - 1, data.length));
        // across the first part boundary of the S3 driver
        assertThat(read(store, key, PART - 10, 20)).isEqualTo(Arrays.copyOfRange(data, PART - 10, PART + 10));
        assertThat(read(store, key, 1000, 3 * MIB)).isEqualTo(Arrays.copyOfRange(data, 1000, 1000 + 3 * MIB));
        assertThat(read(store, key, 5, 0)).isEmpty();

        // the same content uploaded again commits too, and reads the same
        BlobStore other = newStore();
        String again = upload(other, newId());
        ChunkWritten second = write(other, again, 0, data);
        StorageKey key2 = await(() -> other.commitUpload(second.handle(), data.length, Digest.sha256Of(data)));
        assertThat(read(other, key2, 0, data.length)).isEqualTo(data);
    }

    @Test
    void chunkedAppendContinuedByOtherReplicas() throws Exception {
        int[] sizes = {MIB, 3 * MIB, 5 * MIB / 2, 100, 6 * MIB, 0, 4 * MIB + 7, 1};
        byte[] data = random(Arrays.stream(sizes).sum());
        String id = newId();
        String handle = upload(newStore(), id);
        long offset = 0;
        for (int size : sizes) {
            // every chunk lands on another replica
            ChunkWritten w = write(newStore(), handle, offset, Arrays.copyOfRange(data, (int) offset, (int) offset + size));
            assertThat(w.bytesWritten()).isEqualTo(size);
            handle = w.handle();
            offset += size;
        }
        String last = handle;
        BlobStore committer = newStore();
        StorageKey key = await(() -> committer.commitUpload(last, data.length, Digest.sha256Of(data)));
        assertThat(read(newStore(), key, 0, data.length)).isEqualTo(data);
        assertThat(read(newStore(), key, MIB - 3, 4 * MIB)).isEqualTo(Arrays.copyOfRange(data, MIB - 3, MIB - 3 + 4 * MIB));
    }

    /**
     * Chunks of announced length, each on another replica: a large first chunk (more than S3's part
     * minimum), a small one, one exactly a part, continued by announced and unannounced chunks.
     */
    @Test
    void announcedChunksContinuedByOtherReplicas() throws Exception {
        int[][] uploads = {{6 * MIB + 5, MIB, 5 * MIB + 1, 3}, {100_000, 6 * MIB, 17}, {PART, 2 * MIB}, {3 * MIB}};
        for (int[] sizes : uploads) {
            byte[] data = random(Arrays.stream(sizes).sum());
            String handle = upload(newStore(), newId());
            long offset = 0;
            for (int i = 0; i < sizes.length; i++) {
                byte[] chunk = Arrays.copyOfRange(data, (int) offset, (int) offset + sizes[i]);
                // the last chunk of the first upload comes without a length
                boolean announced = !(sizes == uploads[0] && i == sizes.length - 1);
                ChunkWritten w = announced ? writeAnnounced(newStore(), handle, offset, chunk)
                        : write(newStore(), handle, offset, chunk);
                assertThat(w.bytesWritten()).isEqualTo(sizes[i]);
                handle = w.handle();
                offset += sizes[i];
            }
            String last = handle;
            BlobStore committer = newStore();
            StorageKey key = await(() -> committer.commitUpload(last, data.length, Digest.sha256Of(data)));
            assertThat(read(newStore(), key, 0, data.length)).as("upload of %s", Arrays.toString(sizes)).isEqualTo(data);
        }
    }

    /** An announced chunk whose client goes away leaves the upload as it was; the retry completes it. */
    @Test
    void announcedChunkRetriedAfterTheClientWentAway() throws Exception {
        byte[] data = random(6 * MIB + 10);
        String handle = upload(newStore(), newId());
        Context context = vertx.getOrCreateContext();
        BlobStore replica = newStore();
        assertThatThrownBy(() -> await(context, () -> replica.writeChunk(handle, 0,
                TestStreams.failingAfter(context, 5, 3L * MIB), data.length))).isInstanceOf(ExecutionException.class);

        ChunkWritten first = writeAnnounced(newStore(), handle, 0, Arrays.copyOf(data, 6 * MIB));
        assertThatThrownBy(() -> await(context, () -> replica.writeChunk(first.handle(), 6 * MIB,
                TestStreams.failingAfter(context, 6, 2L * MIB), 10))).isInstanceOf(ExecutionException.class);
        ChunkWritten second = writeAnnounced(newStore(), first.handle(), 6 * MIB, Arrays.copyOfRange(data, 6 * MIB,
                data.length));
        BlobStore committer = newStore();
        StorageKey key = await(() -> committer.commitUpload(second.handle(), data.length, Digest.sha256Of(data)));
        assertThat(read(committer, key, 0, data.length)).isEqualTo(data);
    }

    @Test
    void chunkRetriedAfterAFailedAttempt() throws Exception {
        byte[] data = random(2 * MIB + 3 * MIB + MIB + 17);
        BlobStore store = newStore();
        String id = newId();
        String h0 = upload(store, id);
        ChunkWritten first = write(store, h0, 0, Arrays.copyOfRange(data, 0, 2 * MIB));

        // 1: the client's connection drops after 14 MiB of garbage: the registry keeps the old handle
        Context context = vertx.getOrCreateContext();
        BlobStore replica = newStore();
        assertThatThrownBy(() -> await(context, () -> replica.writeChunk(first.handle(), 2 * MIB,
                TestStreams.failingAfter(context, 99, 14L * MIB)))).isInstanceOf(ExecutionException.class);

        // 2: a chunk that was stored but whose transaction rolled back: its handle is never used
        ChunkWritten lost = write(newStore(), first.handle(), 2 * MIB, random(3 * MIB));
        assertThat(lost.bytesWritten()).isEqualTo(3 * MIB);

        // the retries continue from the old handle with the real bytes
        ChunkWritten second = write(newStore(), first.handle(), 2 * MIB, Arrays.copyOfRange(data, 2 * MIB, 5 * MIB));
        ChunkWritten third = write(newStore(), second.handle(), 5 * MIB, Arrays.copyOfRange(data, 5 * MIB, data.length));
        BlobStore committer = newStore();
        StorageKey key = await(() -> committer.commitUpload(third.handle(), data.length, Digest.sha256Of(data)));
        assertThat(read(committer, key, 0, data.length)).isEqualTo(data);
    }

    @Test
    void emptyBlob() throws Exception {
        BlobStore store = newStore();
        byte[] empty = new byte[0];
        String handle = upload(store, newId());
        StorageKey key = await(() -> store.commitUpload(handle, 0, Digest.sha256Of(empty)));
        assertThat(read(store, key, 0, 0)).isEmpty();

        String other = upload(store, newId());
        ChunkWritten w = write(store, other, 0, empty);
        assertThat(w.bytesWritten()).isZero();
        StorageKey key2 = await(() -> store.commitUpload(w.handle(), 0, Digest.sha256Of(empty)));
        assertThat(read(store, key2, 0, 0)).isEmpty();
    }

    @Test
    void abortIsCompleteAndIdempotent() throws Exception {
        BlobStore store = newStore();
        String id = newId();
        String handle = upload(store, id);
        ChunkWritten w = write(store, handle, 0, random(PART + MIB));
        ChunkWritten w2 = write(store, w.handle(), PART + MIB, random(MIB));
        BlobStore other = newStore();
        await(() -> other.abortUpload(w2.handle()));
        await(() -> other.abortUpload(w2.handle()));
        assertUploadGone(id, w2.handle());
    }

    @Test
    void deleteIsIdempotent() throws Exception {
        BlobStore store = newStore();
        byte[] data = random(1000);
        String handle = upload(store, newId());
        ChunkWritten w = write(store, handle, 0, data);
        StorageKey key = await(() -> store.commitUpload(w.handle(), data.length, Digest.sha256Of(data)));
        await(() -> store.delete(key));
        assertThatThrownBy(() -> read(store, key, 0, data.length)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(StorageException.class);
        await(() -> store.delete(key));
        assertThat(await(store::health).up()).isTrue();
    }

    /** Many blobs in one call; a key that is gone already counts as deleted; what stays is left alone. */
    @Test
    void deleteAllDeletesEveryKeyAndIsIdempotent() throws Exception {
        BlobStore store = newStore();
        List<StorageKey> keys = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] data = random(100 + i);
            ChunkWritten w = write(store, upload(store, newId()), 0, data);
            keys.add(await(() -> store.commitUpload(w.handle(), data.length, Digest.sha256Of(data))));
        }
        byte[] kept = random(77);
        ChunkWritten w = write(store, upload(store, newId()), 0, kept);
        StorageKey keptKey = await(() -> store.commitUpload(w.handle(), kept.length, Digest.sha256Of(kept)));
        List<StorageKey> request = new ArrayList<>(keys);
        request.add(StorageKey.forBlob(Digest.sha256Of(random(10)))); // never stored

        assertThat(await(() -> store.deleteAll(request))).isEmpty();
        for (StorageKey key : keys) {
            assertThatThrownBy(() -> read(store, key, 0, 1)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(StorageException.class);
        }
        assertThat(read(store, keptKey, 0, kept.length)).isEqualTo(kept);
        assertThat(await(() -> store.deleteAll(request))).isEmpty();
        assertThat(await(() -> store.deleteAll(List.of()))).isEmpty();
    }

    @Test
    void concurrentReaders() throws Exception {
        BlobStore store = newStore();
        byte[] data = random(2 * PART + 3 * MIB);
        String handle = upload(store, newId());
        ChunkWritten w = write(store, handle, 0, data);
        StorageKey key = await(() -> store.commitUpload(w.handle(), data.length, Digest.sha256Of(data)));

        List<long[]> ranges = new ArrayList<>();
        List<Future<byte[]>> reads = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            long offset = i == 0 ? 0 : ThreadLocalRandom.current().nextLong(data.length - 1);
            long length = i == 0 ? data.length : ThreadLocalRandom.current().nextLong(1, data.length - offset + 1);
            ranges.add(new long[] {offset, length});
            Context context = vertx.getOrCreateContext();
            Promise<byte[]> promise = Promise.promise();
            context.runOnContext(v -> store.read(key, offset, length)
                    .compose(s -> TestStreams.readAll(context, s)).onComplete(promise));
            reads.add(promise.future());
        }
        for (int i = 0; i < reads.size(); i++) {
            long[] r = ranges.get(i);
            byte[] got = reads.get(i).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
            assertThat(got).as("range %d+%d", r[0], r[1])
                    .isEqualTo(Arrays.copyOfRange(data, (int) r[0], (int) (r[0] + r[1])));
        }
    }

    /**
     * A blob larger than 1 GiB, written as one streamed chunk of unknown length and read back as a stream:
     * heap use stays far below the blob's size.
     */
    @Test
    void largeBlobIsStreamedWithBoundedHeap() throws Exception {
        largeBlobStreamedWithBoundedHeap(false);
    }

    /** The same with the chunk's length announced, as a push with {@code Content-Length} sends it. */
    @Test
    void largeAnnouncedBlobIsStreamedWithBoundedHeap() throws Exception {
        largeBlobStreamedWithBoundedHeap(true);
    }

    private void largeBlobStreamedWithBoundedHeap(boolean announced) throws Exception {
        long size = (1L << 30) + 12_345;
        long seed = 7;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long baseline = heapAfterGc(memory);
        long[] peak = {0};
        BlobStore store = newStore();
        String handle = upload(store, newId());

        MessageDigest written = TestStreams.sha256();
        Context context = vertx.getOrCreateContext();
        // sample the heap after a GC every 128 MiB while the chunk streams
        TestStreams.Source source = TestStreams.generatedStream(context, seed, size, written);
        Thread sampler = new Thread(() -> {
            long next = 0;
            while (!Thread.currentThread().isInterrupted()) {
                if (source.position() >= next) {
                    peak[0] = Math.max(peak[0], heapAfterGc(memory) - baseline);
                    next += 128L * MIB;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
        ChunkWritten w;
        try {
            w = await(context, () -> store.writeChunk(handle, 0, source, announced ? size : -1));
        } finally {
            sampler.interrupt();
            sampler.join(10_000);
        }
        assertThat(w.bytesWritten()).isEqualTo(size);
        Digest digest = Digest.parse("sha256:" + HexFormat.of().formatHex(written.digest()));
        StorageKey key = await(() -> newStore().commitUpload(w.handle(), size, digest));
        peak[0] = Math.max(peak[0], heapAfterGc(memory) - baseline);

        MessageDigest read = TestStreams.sha256();
        Context readContext = vertx.getOrCreateContext();
        long count = await(readContext, () -> store.read(key, 0, size).compose(s -> TestStreams.digestAll(readContext, s, read)));
        assertThat(count).isEqualTo(size);
        assertThat(HexFormat.of().formatHex(read.digest())).isEqualTo(digest.hex());
        peak[0] = Math.max(peak[0], heapAfterGc(memory) - baseline);

        long offset = 512L * MIB + 4321;
        assertThat(read(store, key, offset, 100_000)).isEqualTo(TestStreams.generated(seed, offset, 100_000));
        System.out.printf("%s: %d byte blob (length %s) streamed in and out, peak heap growth %d MiB%n",
                getClass().getSimpleName(), size, announced ? "announced" : "unknown", peak[0] / MIB);
        assertThat(peak[0]).as("heap growth while streaming a %d byte blob", size).isLessThan(128L * MIB);
        await(() -> store.delete(key));
    }

    private static long heapAfterGc(MemoryMXBean memory) {
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }
}
