package dev.berth.core.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.core.digest.Digest;
import dev.berth.core.digest.DigestAlgorithm;
import dev.berth.core.digest.DigestingReadStream;
import dev.berth.core.digest.ResumableDigester;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.BlobStore.ChunkWritten;
import dev.berth.core.storage.BlobStoreContractTest;
import dev.berth.core.storage.StorageException;
import dev.berth.core.storage.StorageKey;
import dev.berth.devtools.s3.S3ProxyServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The storage contract against the S3 driver on a real S3 server (S3Proxy, started once per test JVM),
 * plus what only S3 has: ListParts paging, the integrity checks of parts and tails, pre-signed URLs,
 * the health check and the mapping of S3 errors.
 */
class S3BlobStoreContractTest extends BlobStoreContractTest {
    private static S3ProxyServer server;
    private static String bucket;
    private static S3AsyncClient raw;

    @BeforeAll
    static void startServer() {
        server = S3ProxyServer.shared();
        bucket = "contract-" + UUID.randomUUID().toString().substring(0, 8);
        raw = S3TestClients.raw(server);
    }

    @AfterAll
    static void closeClient() {
        raw.close();
    }

    static S3Settings settings(String bucket, boolean create) {
        return new S3Settings(server.endpoint(), S3ProxyServer.REGION, bucket, S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY, true, PART, create, null);
    }

    @Override
    protected BlobStore createStore() {
        return new S3BlobStore(vertx, settings(bucket, true));
    }

    @Override
    protected void assertUploadGone(String uploadId, String handle) {
        S3UploadHandle state = S3UploadHandle.parse(handle);
        assertThat(pendingObjects(uploadId)).isEmpty();
        if (state.hasMultipart()) {
            // AWS answers NoSuchUpload; S3Proxy's filesystem backend lists no parts
            try {
                assertThat(raw.listParts(b -> b.bucket(bucket).key(state.key()).uploadId(state.multipartId())).join()
                        .parts()).isEmpty();
            } catch (CompletionException e) {
                assertThat(e).hasCauseInstanceOf(S3Exception.class);
            }
        }
        assertThat(multipartUploads(state.key())).isEmpty();
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket).prefix(state.key())).join().contents()).isEmpty();
    }

    private static List<String> pendingObjects(String uploadId) {
        return raw.listObjectsV2(b -> b.bucket(bucket).prefix("uploads/" + uploadId + "/")).join().contents().stream()
                .map(S3Object::key).toList();
    }

    /** Multipart uploads in progress for {@code key}. */
    private static List<String> multipartUploads(String key) {
        return raw.listMultipartUploads(b -> b.bucket(bucket).prefix(key)).join().uploads().stream()
                .filter(u -> u.key().equals(key)).map(MultipartUpload::uploadId).toList();
    }

    /** Counts S3 API calls by operation (retries not counted). */
    static final class RequestCounter implements ExecutionInterceptor {
        final Map<String, AtomicInteger> calls = new ConcurrentSkipListMap<>();

        @Override
        public void beforeExecution(software.amazon.awssdk.core.interceptor.Context.BeforeExecution context,
                ExecutionAttributes attributes) {
            calls.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), k -> new AtomicInteger())
                    .incrementAndGet();
        }

        int total() {
            return calls.values().stream().mapToInt(AtomicInteger::get).sum();
        }
    }

    /** Records whether each upload request (PutObject, UploadPart) went out with "Expect: 100-continue". */
    static final class ExpectContinueRecorder implements ExecutionInterceptor {
        final List<String> uploads = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void beforeTransmission(software.amazon.awssdk.core.interceptor.Context.BeforeTransmission context,
                ExecutionAttributes attributes) {
            String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
            if (operation.equals("PutObject") || operation.equals("UploadPart")) {
                String length = context.httpRequest().firstMatchingHeader("Content-Length").orElse("?");
                boolean expect = context.httpRequest().firstMatchingHeader("Expect").isPresent();
                uploads.add(length + (expect ? " expect" : " direct"));
            }
        }
    }

    /** Small upload requests do not wait a round trip for "100 Continue"; large ones do. */
    @Test
    void onlyLargeUploadRequestsWaitForContinue() throws Exception {
        ExpectContinueRecorder recorder = new ExpectContinueRecorder();
        S3BlobStore store = track(new S3BlobStore(vertx, settings(bucket, true), List.of(recorder)));
        byte[] small = random(64 * 1024);
        writeAnnounced(store, upload(store, newId()), 0, small);
        byte[] large = random(6 * MIB);
        writeAnnounced(store, upload(store, newId()), 0, large);
        assertThat(recorder.uploads).containsExactly(small.length + " direct", large.length + " expect");
    }

    private S3BlobStore countingStore(RequestCounter counter) {
        S3BlobStore store = new S3BlobStore(vertx, settings(bucket, true), List.of(counter));
        track(store);
        return store;
    }

    /** The benchmark's pattern (POST, one PATCH of 64 KiB, PUT): S3 round trips and time per blob. */
    @Test
    void smallBlobRoundTrips() throws Exception {
        RequestCounter counter = new RequestCounter();
        S3BlobStore store = countingStore(counter);
        assertThat(await(store::health).up()).isTrue();
        counter.calls.clear();
        int blobs = 30;
        long start = System.nanoTime();
        for (int i = 0; i < blobs; i++) {
            byte[] data = random(64 * 1024);
            String handle = upload(store, newId());
            // half of them with Content-Length (skopeo, curl), half without
            ChunkWritten w = i % 2 == 0 ? writeAnnounced(store, handle, 0, data) : write(store, handle, 0, data);
            await(() -> store.commitUpload(w.handle(), data.length, Digest.sha256Of(data)));
        }
        long micros = (System.nanoTime() - start) / 1000 / blobs;
        System.out.printf("[s3-small] %d blobs of 64 KiB: %.1f S3 requests and %d us per blob; %s%n", blobs,
                counter.total() / (double) blobs, micros, counter.calls);
        assertThat(counter.total()).isLessThanOrEqualTo(3 * blobs);
    }

    private S3BlobStore s3Store() {
        return (S3BlobStore) newStore();
    }

    @Test
    void aOneChunkSmallBlobIsWrittenInPlaceWithoutMultipart() throws Exception {
        S3BlobStore store = s3Store();
        byte[] data = random(64 * 1024);
        String id = newId();
        String handle = upload(store, id);
        assertThat(S3UploadHandle.parse(handle).hasMultipart()).isFalse();
        ChunkWritten w = write(store, handle, 0, data);
        S3UploadHandle state = S3UploadHandle.parse(w.handle());
        assertThat(state.hasMultipart()).isFalse();
        assertThat(state.tailInBlob()).isTrue();
        assertThat(state.tailKey()).isEqualTo(state.key());
        assertThat(multipartUploads(state.key())).isEmpty();
        BlobStore committer = newStore();
        StorageKey key = await(() -> committer.commitUpload(w.handle(), data.length, Digest.sha256Of(data)));
        assertThat(key.path()).isEqualTo(state.key());
        assertThat(read(newStore(), key, 0, data.length)).isEqualTo(data);
        // a commit retried after the first one went through stands
        assertThat(await(() -> committer.commitUpload(w.handle(), data.length, Digest.sha256Of(data)))).isEqualTo(key);
        assertThat(multipartUploads(state.key())).isEmpty();
        assertThat(pendingObjects(id)).isEmpty();
    }

    @Test
    void smallChunksContinuedByOtherReplicasAreCopiedAtCommit() throws Exception {
        byte[] data = random(3 * 100_000 + 7);
        String id = newId();
        String handle = upload(s3Store(), id);
        int[] ends = {100_000, 200_000, 300_000, data.length};
        long offset = 0;
        for (int end : ends) {
            handle = write(s3Store(), handle, offset, Arrays.copyOfRange(data, (int) offset, end)).handle();
            offset = end;
        }
        S3UploadHandle state = S3UploadHandle.parse(handle);
        assertThat(state.hasMultipart()).isFalse();
        assertThat(state.tailInBlob()).isFalse();
        assertThat(state.size()).isEqualTo(data.length);
        String last = handle;
        S3BlobStore committer = s3Store();
        StorageKey key = await(() -> committer.commitUpload(last, data.length, Digest.sha256Of(data)));
        assertThat(read(s3Store(), key, 0, data.length)).isEqualTo(data);
        assertThat(await(() -> committer.commitUpload(last, data.length, Digest.sha256Of(data)))).isEqualTo(key);
        assertThat(multipartUploads(state.key())).isEmpty();
        assertThat(pendingObjects(id)).isEmpty();
    }

    @Test
    void aSmallBlobChangedBehindTheRegistryFailsTheCommit() throws Exception {
        S3BlobStore store = s3Store();
        // in place
        byte[] data = random(1000);
        ChunkWritten w = write(store, upload(store, newId()), 0, data);
        S3UploadHandle inPlace = S3UploadHandle.parse(w.handle());
        raw.putObject(b -> b.bucket(bucket).key(inPlace.key()), AsyncRequestBody.fromBytes(random(1000))).join();
        assertThatThrownBy(() -> await(() -> store.commitUpload(w.handle(), data.length, Digest.sha256Of(data))))
                .hasCauseInstanceOf(StorageException.class).hasMessageContaining("changed behind the registry");
        // a pending tail, copied at commit only if it is unchanged
        ChunkWritten first = write(store, upload(store, newId()), 0, Arrays.copyOfRange(data, 0, 400));
        ChunkWritten second = write(s3Store(), first.handle(), 400, Arrays.copyOfRange(data, 400, 1000));
        S3UploadHandle pending = S3UploadHandle.parse(second.handle());
        assertThat(pending.tailInBlob()).isFalse();
        raw.putObject(b -> b.bucket(bucket).key(pending.tailKey()), AsyncRequestBody.fromBytes(random(1000))).join();
        assertThatThrownBy(() -> await(() -> store.commitUpload(second.handle(), data.length, Digest.sha256Of(data))))
                .hasCauseInstanceOf(StorageException.class).hasMessageContaining("changed behind the registry");
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket).prefix(pending.key())).join().contents())
                .allMatch(o -> o.size() == 400);
    }

    @Test
    void abortOfASmallUploadLeavesNothing() throws Exception {
        S3BlobStore store = s3Store();
        String id = newId();
        ChunkWritten first = write(store, upload(store, id), 0, random(1000));
        ChunkWritten second = write(store, first.handle(), 1000, random(1000));
        await(() -> s3Store().abortUpload(second.handle()));
        assertUploadGone(id, second.handle());
        await(() -> s3Store().abortUpload(second.handle()));
    }

    /** The multipart upload starts with the first full part, on whichever replica that is, and continues elsewhere. */
    @Test
    void anUploadCrossingThePartSizeStartsItsMultipartUploadLazily() throws Exception {
        byte[] data = random(2 * MIB + 4 * MIB + PART + 3);
        String id = newId();
        ChunkWritten first = write(s3Store(), upload(s3Store(), id), 0, Arrays.copyOfRange(data, 0, 2 * MIB));
        assertThat(S3UploadHandle.parse(first.handle()).tailInBlob()).isTrue();
        ChunkWritten second = write(s3Store(), first.handle(), 2 * MIB, Arrays.copyOfRange(data, 2 * MIB, 6 * MIB));
        S3UploadHandle state = S3UploadHandle.parse(second.handle());
        assertThat(state.hasMultipart()).isTrue();
        assertThat(state.nextPart()).isEqualTo(2);
        assertThat(state.tail()).isEqualTo(6 * MIB - PART);
        assertThat(multipartUploads(state.key())).containsExactly(state.multipartId());
        assertThat(pendingObjects(id)).contains(S3UploadHandle.multipartMarker(id));
        ChunkWritten third = write(s3Store(), second.handle(), 6 * MIB, Arrays.copyOfRange(data, 6 * MIB, data.length));
        assertThat(S3UploadHandle.parse(third.handle()).multipartId()).isEqualTo(state.multipartId());
        S3BlobStore committer = s3Store();
        StorageKey key = await(() -> committer.commitUpload(third.handle(), data.length, Digest.sha256Of(data)));
        assertThat(read(s3Store(), key, 0, data.length)).isEqualTo(data);
        assertThat(multipartUploads(state.key())).isEmpty();
        assertThat(pendingObjects(id)).isEmpty();
    }

    /** A chunk that started a multipart upload but whose handle was never recorded leaves nothing after commit or abort. */
    @Test
    void aMultipartUploadOfAnUnrecordedChunkIsAbortedLater() throws Exception {
        for (boolean commit : new boolean[] {true, false}) {
            byte[] data = random(1000 + 2000);
            String id = newId();
            ChunkWritten first = write(s3Store(), upload(s3Store(), id), 0, Arrays.copyOfRange(data, 0, 1000));
            ChunkWritten lost = write(s3Store(), first.handle(), 1000, random(PART + 10));
            String orphan = S3UploadHandle.parse(lost.handle()).multipartId();
            assertThat(orphan).isNotEmpty();
            ChunkWritten retried = write(s3Store(), first.handle(), 1000, Arrays.copyOfRange(data, 1000, data.length));
            S3UploadHandle state = S3UploadHandle.parse(retried.handle());
            assertThat(state.hasMultipart()).isFalse();
            assertThat(multipartUploads(state.key())).containsExactly(orphan);
            if (commit) {
                StorageKey key = await(() -> s3Store().commitUpload(retried.handle(), data.length, Digest.sha256Of(data)));
                assertThat(read(s3Store(), key, 0, data.length)).isEqualTo(data);
                assertThat(multipartUploads(state.key())).isEmpty();
                assertThat(pendingObjects(id)).isEmpty();
            } else {
                await(() -> s3Store().abortUpload(retried.handle()));
                assertUploadGone(id, retried.handle());
            }
        }
    }

    /** More parts than one ListParts page: the commit follows NextPartNumberMarker (page size 2 here, 1000 on S3). */
    @Test
    void commitPagesThroughListParts() throws Exception {
        S3BlobStore store = s3Store();
        store.listPartsPageSize(2);
        byte[] data = random(5 * PART + MIB);
        String handle = upload(store, UUID.randomUUID().toString());
        ChunkWritten first = write(store, handle, 0, Arrays.copyOfRange(data, 0, 3 * PART + 1));
        ChunkWritten second = write(store, first.handle(), 3 * PART + 1, Arrays.copyOfRange(data, 3 * PART + 1, data.length));
        S3UploadHandle state = S3UploadHandle.parse(second.handle());
        assertThat(state.nextPart()).isEqualTo(6);
        assertThat(state.done()).isEqualTo(5L * PART);
        assertThat(state.tail()).isEqualTo(MIB);
        assertThat(await(() -> store.listParts(state))).hasSize(5);
        StorageKey key = await(() -> store.commitUpload(second.handle(), data.length, Digest.sha256Of(data)));
        assertThat(key.path()).isEqualTo("blobs/" + state.id() + "/data");
        assertThat(read(store, key, 0, data.length)).isEqualTo(data);
        // the pending tails are gone, the blob object stays
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket).prefix("uploads/" + state.id() + "/")).join().contents()).isEmpty();
    }

    @Test
    void aPartReplacedBehindTheRegistryFailsTheCommit() throws Exception {
        S3BlobStore store = s3Store();
        byte[] data = random(PART + 10);
        String handle = upload(store, UUID.randomUUID().toString());
        ChunkWritten w = write(store, handle, 0, data);
        S3UploadHandle state = S3UploadHandle.parse(w.handle());
        raw.uploadPart(b -> b.bucket(bucket).key(state.key()).uploadId(state.multipartId()).partNumber(1),
                AsyncRequestBody.fromBytes(random(PART))).join();
        assertThatThrownBy(() -> await(() -> store.commitUpload(w.handle(), data.length, Digest.sha256Of(data))))
                .hasCauseInstanceOf(StorageException.class).hasMessageContaining("changed behind the registry");
    }

    @Test
    void aTailReplacedBehindTheRegistryStopsTheUpload() throws Exception {
        S3BlobStore store = s3Store();
        String handle = upload(store, UUID.randomUUID().toString());
        ChunkWritten w = write(store, handle, 0, random(1000));
        S3UploadHandle state = S3UploadHandle.parse(w.handle());
        raw.putObject(b -> b.bucket(bucket).key(state.tailKey()), AsyncRequestBody.fromBytes(random(1000))).join();
        assertThatThrownBy(() -> write(store, w.handle(), 1000, random(10)))
                .hasCauseInstanceOf(StorageException.class).hasMessageContaining("changed behind the registry");
    }

    /** A first chunk of announced length goes straight into the blob's object; a next chunk copies it into part 1. */
    @Test
    void aLargeAnnouncedFirstChunkIsStreamedIntoPlace() throws Exception {
        byte[] data = random(6 * MIB + 2 * MIB + 5);
        String id = newId();
        ChunkWritten first = writeAnnounced(s3Store(), upload(s3Store(), id), 0, Arrays.copyOf(data, 6 * MIB));
        S3UploadHandle inPlace = S3UploadHandle.parse(first.handle());
        assertThat(inPlace.hasMultipart()).isFalse();
        assertThat(inPlace.tailInBlob()).isTrue();
        assertThat(inPlace.tail()).isEqualTo(6 * MIB);
        assertThat(multipartUploads(inPlace.key())).isEmpty();
        assertThat(pendingObjects(id)).isEmpty();

        ChunkWritten second = writeAnnounced(s3Store(), first.handle(), 6 * MIB, Arrays.copyOfRange(data, 6 * MIB,
                data.length));
        S3UploadHandle state = S3UploadHandle.parse(second.handle());
        assertThat(state.hasMultipart()).isTrue();
        assertThat(state.nextPart()).isEqualTo(2);
        assertThat(state.done()).isEqualTo(6 * MIB);
        assertThat(state.tail()).isEqualTo(2 * MIB + 5);
        // the blob's object is still the first chunk until the commit completes the multipart upload
        assertThat(read(s3Store(), new StorageKey(state.key()), 0, 6 * MIB)).isEqualTo(Arrays.copyOf(data, 6 * MIB));
        StorageKey key = await(() -> s3Store().commitUpload(second.handle(), data.length, Digest.sha256Of(data)));
        assertThat(read(s3Store(), key, 0, data.length)).isEqualTo(data);
        assertThat(multipartUploads(state.key())).isEmpty();
        assertThat(pendingObjects(id)).isEmpty();
    }

    @Test
    void aLargeFirstChunkChangedBehindTheRegistryStopsTheUpload() throws Exception {
        ChunkWritten first = writeAnnounced(s3Store(), upload(s3Store(), newId()), 0, random(6 * MIB));
        S3UploadHandle state = S3UploadHandle.parse(first.handle());
        raw.putObject(b -> b.bucket(bucket).key(state.key()), AsyncRequestBody.fromBytes(random(6 * MIB))).join();
        assertThatThrownBy(() -> writeAnnounced(s3Store(), first.handle(), 6 * MIB, random(10)))
                .hasCauseInstanceOf(StorageException.class).hasMessageContaining("changed behind the registry");
    }

    /**
     * The S3 client completes an upload of announced length once it has sent that many bytes, without waiting for
     * the body's end: what only the end settles (the upload's hash, hashed on a worker) must be waited for apart
     * ({@link DigestingReadStream#hashed()}). Here the hashing is held, so the body never signals its end.
     */
    @Test
    void anAnnouncedChunkIsWrittenBeforeItsBodySignalsItsEnd() throws Exception {
        byte[] data = random(2 * MIB);
        String handle = upload(s3Store(), newId());
        Context context = vertx.getOrCreateContext();
        List<Runnable> heldHashing = new CopyOnWriteArrayList<>();
        ResumableDigester digester = ResumableDigester.fresh();
        AtomicReference<DigestingReadStream> body = new AtomicReference<>();
        ChunkWritten w = await(context, () -> {
            body.set(DigestingReadStream.offloaded(bodyOf(context, data), digester, data.length, heldHashing::add,
                    task -> context.runOnContext(v -> task.run())));
            return s3Store().writeChunk(handle, 0, body.get(), data.length);
        });
        assertThat(w.bytesWritten()).isEqualTo(data.length);

        Future<Void> hashed = body.get().hashed();
        assertThat(hashed.isComplete()).as("hashed while the hashing is held").isFalse();
        while (!heldHashing.isEmpty()) {
            heldHashing.remove(0).run();
        }
        hashed.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(digester.digest(DigestAlgorithm.SHA256)).isEqualTo(Digest.sha256Of(data));
    }

    /** A body that ends before its announced length fails the chunk (S3 would store a short object otherwise). */
    @Test
    void anAnnouncedChunkThatEndsEarlyFails() throws Exception {
        byte[] data = random(2 * MIB);
        String handle = upload(s3Store(), newId());
        assertThatThrownBy(() -> writeAnnounced(s3Store(), handle, 0, Arrays.copyOf(data, MIB), data.length))
                .hasCauseInstanceOf(StorageException.class).hasMessageContaining("announced " + data.length);
        ChunkWritten w = writeAnnounced(s3Store(), handle, 0, data);
        StorageKey key = await(() -> s3Store().commitUpload(w.handle(), data.length, Digest.sha256Of(data)));
        assertThat(read(s3Store(), key, 0, data.length)).isEqualTo(data);
    }

    @Test
    void handleCarriesTheStateAndFitsTheColumn() {
        String mpu = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA".repeat(4) + ".-_~+/=";
        S3UploadHandle h = S3UploadHandle.started(UUID.randomUUID().toString(), "blobs/x/data", mpu)
                .withPart(PART, "\"d41d8cd98f00b204e9800998ecf8427e\"").withTail(123, "\"abc\"");
        String encoded = h.encode();
        assertThat(encoded.length()).isLessThan(1024);
        S3UploadHandle parsed = S3UploadHandle.parse(encoded);
        assertThat(parsed).isEqualTo(h);
        assertThat(parsed.multipartId()).isEqualTo(mpu);
        assertThat(parsed.nextPart()).isEqualTo(2);
        assertThat(parsed.done()).isEqualTo(PART);
        assertThat(parsed.size()).isEqualTo(PART + 123L);
        assertThat(parsed.tailKey()).isEqualTo("uploads/" + h.id() + "/pending/" + (PART + 123));
        assertThatThrownBy(() -> S3UploadHandle.parse("uploads/x/data")).isInstanceOf(IllegalArgumentException.class);

        // before its first part an upload has no multipart upload; the first chunk's tail is the blob's object
        S3UploadHandle small = S3UploadHandle.started(h.id(), "blobs/x/data").withTail(77, "\"e\"", true);
        S3UploadHandle smallParsed = S3UploadHandle.parse(small.encode());
        assertThat(smallParsed).isEqualTo(small);
        assertThat(smallParsed.hasMultipart()).isFalse();
        assertThat(smallParsed.tailKey()).isEqualTo("blobs/x/data");
        assertThatThrownBy(() -> S3UploadHandle.started(h.id(), "blobs/x/data").withPart(PART, "e"))
                .isInstanceOf(IllegalArgumentException.class);
        // handles written before uploads started lazily still parse
        S3UploadHandle old = S3UploadHandle.parse("s3v1;id=" + h.id() + ";key=blobs%2Fx%2Fdata;mpu=abc;part=2;done="
                + PART + ";tail=5;tag=t;chain=c");
        assertThat(old.multipartId()).isEqualTo("abc");
        assertThat(old.tailInBlob()).isFalse();
        assertThat(old.tailKey()).isEqualTo("uploads/" + h.id() + "/pending/" + (PART + 5));
        assertThatThrownBy(() -> S3UploadHandle.parse("s3v1;id=" + h.id() + ";key=k;part=1;done=0;tail=0"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** More keys than one DeleteObjects takes: split into requests of at most 1000 keys, every key deleted. */
    @Test
    void deleteAllSendsBatchesOfAtMostAThousandKeys() throws Exception {
        String prefix = "blobs/batch-" + UUID.randomUUID().toString().substring(0, 8) + "/";
        List<StorageKey> keys = new java.util.ArrayList<>();
        List<java.util.concurrent.CompletableFuture<?>> puts = new java.util.ArrayList<>();
        for (int i = 0; i < 2005; i++) {
            String key = prefix + i + "/data";
            keys.add(new StorageKey(key));
            puts.add(raw.putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromBytes(new byte[] {1})));
            if (puts.size() == 64) {
                java.util.concurrent.CompletableFuture.allOf(puts.toArray(new java.util.concurrent.CompletableFuture[0])).join();
                puts.clear();
            }
        }
        java.util.concurrent.CompletableFuture.allOf(puts.toArray(new java.util.concurrent.CompletableFuture[0])).join();
        RequestCounter counter = new RequestCounter();
        S3BlobStore store = track(new S3BlobStore(vertx, settings(bucket, true), List.of(counter)));

        assertThat(await(() -> store.deleteAll(keys))).isEmpty();
        assertThat(counter.calls.get("DeleteObjects").get()).isEqualTo(3);
        assertThat(counter.total()).isEqualTo(3);
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket).prefix(prefix)).join().contents()).isEmpty();
    }

    /** A DeleteObjects that fails as a whole (storage unreachable) fails the call: the caller keeps its rows. */
    @Test
    void deleteAllFailsWhenTheRequestFails() {
        S3Settings s = settings(bucket, false);
        S3BlobStore down = track(new S3BlobStore(vertx, new S3Settings(URI.create("http://127.0.0.1:1"), s.region(),
                s.bucket(), s.accessKey(), s.secretKey(), true, s.partSize(), false, null)));
        assertThatThrownBy(() -> await(() -> down.deleteAll(List.of(new StorageKey("blobs/x/data")))))
                .hasCauseInstanceOf(StorageException.class);
    }

    @Test
    void redirectUrlIsAWorkingPresignedGet() throws Exception {
        S3BlobStore store = s3Store();
        byte[] data = random(300_000);
        String handle = upload(store, UUID.randomUUID().toString());
        ChunkWritten w = write(store, handle, 0, data);
        StorageKey key = await(() -> store.commitUpload(w.handle(), data.length, Digest.sha256Of(data)));
        Optional<URI> url = store.redirectUrl(key);
        assertThat(url).isPresent();
        assertThat(url.get().toString()).startsWith(server.endpoint() + "/" + bucket + "/" + key.path())
                .contains("X-Amz-Signature=");
        HttpResponse<byte[]> response = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(url.get()).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(data);
    }

    @Test
    void healthTellsWhyTheBucketIsNotReachable() throws Exception {
        assertThat(await(() -> s3Store().health()).up()).isTrue();
        S3BlobStore missing = new S3BlobStore(vertx, settings("missing-" + UUID.randomUUID().toString().substring(0, 8), false));
        try {
            BlobStore.StorageHealth health = await(missing::health);
            assertThat(health.up()).isFalse();
            assertThat(health.detail()).contains("not reachable").contains("404");
        } finally {
            missing.close();
        }
        S3Settings s = settings(bucket, false);
        S3BlobStore down = new S3BlobStore(vertx, new S3Settings(URI.create("http://127.0.0.1:1"), s.region(), s.bucket(),
                s.accessKey(), s.secretKey(), true, s.partSize(), false, null));
        try {
            BlobStore.StorageHealth health = await(down::health);
            assertThat(health.up()).isFalse();
            assertThat(health.detail().toLowerCase(Locale.ROOT)).contains("not reachable");
        } finally {
            down.close();
        }
    }

    @Test
    void errorsMapToStorageExceptions() {
        assertThat(S3Errors.map("x", error(507, "InsufficientStorage")).outOfSpace()).isTrue();
        assertThat(S3Errors.map("x", error(400, "EntityTooLarge")).outOfSpace()).isTrue();
        assertThat(S3Errors.map("x", error(403, "QuotaExceeded")).outOfSpace()).isTrue();
        assertThat(S3Errors.map("x", new CompletionException(error(507, "XMinioStorageFull"))).outOfSpace()).isTrue();
        StorageException notFound = S3Errors.map("cannot read", error(404, "NoSuchKey"));
        assertThat(notFound.outOfSpace()).isFalse();
        assertThat(notFound.getMessage()).contains("404").contains("NoSuchKey");
        assertThat(S3Errors.map("x", new ExecutionException(new RuntimeException("boom"))).outOfSpace()).isFalse();
    }

    @Test
    void serverErrorsAndNoAnswerAreUnavailable() {
        assertThat(S3Errors.map("x", error(503, "SlowDown")).unavailable()).isTrue();
        assertThat(S3Errors.map("x", new CompletionException(error(500, "InternalError"))).unavailable()).isTrue();
        assertThat(S3Errors.map("x", SdkClientException.create("Unable to execute HTTP request: Connection refused"))
                .unavailable()).isTrue();
        assertThat(S3Errors.map("x", error(507, "InsufficientStorage")).unavailable()).isFalse();
        assertThat(S3Errors.map("x", error(404, "NoSuchKey")).unavailable()).isFalse();
        assertThat(S3Errors.map("x", error(403, "AccessDenied")).unavailable()).isFalse();
    }

    @Test
    void settingsRefuseTooSmallParts() {
        assertThatThrownBy(() -> new S3Settings(null, "us-east-1", "b", null, null, true, 4 * MIB, false, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("part size");
        assertThatThrownBy(() -> new S3Settings(null, "us-east-1", " ", null, null, true, PART, false, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bucket");
    }

    private static S3Exception error(int status, String code) {
        return (S3Exception) S3Exception.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code + " happened").build())
                .message(code).build();
    }
}
