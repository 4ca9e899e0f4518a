package dev.berth.core.storage.s3;

import dev.berth.core.digest.Digest;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.MultipartPage;
import dev.berth.core.storage.ObjectPage;
import dev.berth.core.storage.PendingMultipart;
import dev.berth.core.storage.StorageException;
import dev.berth.core.storage.StorageKey;
import dev.berth.core.storage.StoredObject;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.SdkAdvancedAsyncClientOption;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateBucketConfiguration;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Blobs and uploads in an S3 bucket (AWS or any S3-compatible server), through the non-blocking
 * {@link S3AsyncClient} on its own small Netty event-loop group; results are handed back on the caller's
 * Vert.x context, so no event loop ever waits for S3.
 *
 * <p>Layout of the bucket:
 * <ul>
 * <li>{@code blobs/<upload-id>/data}: the blob. The upload's first chunk is written here directly: streamed
 * with one {@code PutObject} when the client announced its length (the usual push: one request, no
 * part buffer, nothing to assemble at commit), else when it stays smaller than a part. A multipart upload
 * completes into it, nothing is copied; a large first chunk becomes its part 1 by a server-side copy;
 * an upload of small chunks only gets its pending tail copied here server-side at commit. The registry
 * records this key in PostgreSQL at commit; before that only the upload's handle knows it.</li>
 * <li>{@code uploads/<upload-id>/pending/<offset>}: the pending tail of an upload, the bytes after its
 * last complete part (fewer than one part, since S3 parts but the last must be at least 5 MiB). Deleted
 * at commit and abort.</li>
 * <li>{@code uploads/<upload-id>/multipart}: written before a multipart upload is started, so that
 * commit and abort also find the one of a chunk whose handle was never recorded.</li>
 * </ul>
 * The handle of an upload ({@link S3UploadHandle}) carries the multipart upload id (if any), the next
 * part number, the bytes in complete parts and the pending tail's size, so any replica can continue any
 * upload.
 */
public class S3BlobStore implements BlobStore, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(S3BlobStore.class.getName());
    /** S3 allows part numbers 1 to 10000. */
    static final int MAX_PARTS = 10_000;
    /** The largest object one {@code PutObject} may store (5 GiB). */
    static final long MAX_OBJECT_PUT = 5L << 30;
    /** Upload requests smaller than this are sent without waiting for S3's {@code 100 Continue}. */
    static final long EXPECT_CONTINUE_BYTES = 1L << 20;
    /** Keys per {@code DeleteObjects} request: S3's maximum. */
    static final int DELETE_BATCH = 1000;

    private final Vertx vertx;
    private final S3Settings settings;
    private final S3AsyncClient s3;
    private final S3Presigner presigner;
    private final SdkEventLoopGroup eventLoops;
    private volatile boolean bucketReady;
    private volatile int listPartsPageSize = 1000;

    public S3BlobStore(Vertx vertx, S3Settings settings) {
        this(vertx, settings, List.of());
    }

    /** For tests: {@code interceptors} see every S3 request (to count round trips). */
    S3BlobStore(Vertx vertx, S3Settings settings, List<ExecutionInterceptor> interceptors) {
        this.vertx = vertx;
        this.settings = settings;
        AwsCredentialsProvider credentials = settings.accessKey() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()))
                : DefaultCredentialsProvider.builder().build();
        this.eventLoops = SdkEventLoopGroup.builder().numberOfThreads(2).build();
        SdkAsyncHttpClient http = NettyNioAsyncHttpClient.builder()
                .eventLoopGroup(eventLoops)
                .maxConcurrency(256)
                .connectionTimeout(Duration.ofSeconds(10))
                .connectionAcquisitionTimeout(Duration.ofSeconds(30))
                // a pull can be paused by a slow client for a while
                .readTimeout(Duration.ofMinutes(2))
                .writeTimeout(Duration.ofMinutes(2))
                .build();
        var builder = S3AsyncClient.builder()
                .httpClient(http)
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                // "Expect: 100-continue" costs a round trip per upload request before the body is sent: worth
                // it only where a refusal would waste a large body (SDK 2.57's default too; pinned here)
                .serviceConfiguration(S3Configuration.builder().expectContinueThresholdInBytes(EXPECT_CONTINUE_BYTES).build())
                // S3-compatible servers often lack the newer flexible checksums: send and expect them only
                // where S3 requires them
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // complete futures on the SDK's I/O threads; results are moved to Vert.x contexts anyway
                .asyncConfiguration(c -> c.advancedOption(SdkAdvancedAsyncClientOption.FUTURE_COMPLETION_EXECUTOR,
                        Runnable::run));
        if (!interceptors.isEmpty()) {
            builder.overrideConfiguration(c -> c.executionInterceptors(interceptors));
        }
        var presign = S3Presigner.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
            presign.endpointOverride(settings.endpoint());
        }
        this.s3 = builder.build();
        this.presigner = presign.build();
    }

    @Override
    public String type() {
        return "s3";
    }

    public S3Settings settings() {
        return settings;
    }

    /** For tests: page size of ListParts at commit (S3's maximum and default is 1000). */
    void listPartsPageSize(int size) {
        this.listPartsPageSize = size;
    }

    private String bucket() {
        return settings.bucket();
    }

    static String blobKey(String uploadId) {
        return "blobs/" + uploadId + "/data";
    }

    // ------------------------------------------------------------------------------------------ uploads

    @Override
    public Future<String> beginUpload(String uploadId) {
        String key = blobKey(uploadId);
        new StorageKey(key); // the id is safe as a key
        // no S3 request: the multipart upload starts with the first full part (ChunkWriter), so a blob
        // smaller than a part never has one
        return ensureBucket().map(v -> S3UploadHandle.started(uploadId, key).encode());
    }

    /**
     * Starts the multipart upload of {@code state}, after writing the marker that lets commit and abort
     * find it should the handle naming it never be recorded.
     */
    Future<S3UploadHandle> startMultipart(S3UploadHandle state) {
        String marker = S3UploadHandle.multipartMarker(state.id());
        return call("cannot mark upload " + state.id(), () -> s3.putObject(b -> b.bucket(bucket()).key(marker)
                .contentLength(0L), AsyncRequestBody.empty()))
                .compose(r -> call("cannot start upload " + state.id(), () -> s3.createMultipartUpload(b -> b
                        .bucket(bucket()).key(state.key()).contentType("application/octet-stream"))))
                .map(r -> state.withMultipart(r.uploadId()));
    }

    @Override
    public Future<ChunkWritten> writeChunk(String handle, long offset, ReadStream<Buffer> chunk) {
        return writeChunk(handle, offset, chunk, -1);
    }

    @Override
    public Future<ChunkWritten> writeChunk(String handle, long offset, ReadStream<Buffer> chunk, long length) {
        S3UploadHandle state;
        try {
            state = S3UploadHandle.parse(handle);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(new StorageException("cannot write upload: " + e.getMessage(), e, false));
        }
        if (offset != state.size()) {
            return Future.failedFuture(new StorageException("upload " + state.id() + " holds " + state.size()
                    + " bytes, but the chunk was to start at " + offset, null, false));
        }
        if (state.nextPart() > MAX_PARTS) {
            return Future.failedFuture(new StorageException("upload " + state.id() + " reached S3's limit of "
                    + MAX_PARTS + " parts; raise registry.storage.s3.part-size for larger blobs", null, true));
        }
        if (length > 0 && length <= MAX_OBJECT_PUT && state.size() == 0 && !state.hasMultipart()) {
            return putFirstChunk(state, chunk, length);
        }
        Context context = vertx.getOrCreateContext();
        if (state.tailInBlob() && state.tail() >= S3Settings.MIN_PART_SIZE) {
            // a large first chunk: it becomes part 1 by a server-side copy instead of a trip through memory
            chunk.pause();
            return promoteTail(state).compose(
                    promoted -> new ChunkWriter(this, context, promoted, chunk, settings.partSize()).run());
        }
        return new ChunkWriter(this, context, state, chunk, settings.partSize()).run();
    }

    /**
     * The first chunk of an upload, of announced length: streamed as it arrives into the blob's own
     * object with one {@code PutObject}, no part buffer, no multipart upload. A blob uploaded in one
     * request (the usual push) is then in place at commit, which only checks its ETag. A later chunk
     * turns this object into part 1 of a multipart upload ({@link #promoteTail}).
     */
    private Future<ChunkWritten> putFirstChunk(S3UploadHandle state, ReadStream<Buffer> chunk, long length) {
        ReadStreamRequestBody body = new ReadStreamRequestBody(vertx.getOrCreateContext(), chunk, length);
        return call("cannot store upload " + state.id(), () -> s3.putObject(b -> b.bucket(bucket()).key(state.key())
                .contentLength(length).contentType("application/octet-stream"), body))
                // a client that went away is the chunk's failure, not storage's
                .recover(err -> Future.failedFuture(body.bodyFailure() != null ? body.bodyFailure() : err))
                .map(r -> new ChunkWritten(state.withTail(length, S3UploadHandle.normalizeEtag(r.eTag()), true).encode(),
                        body.received()));
    }

    /**
     * Starts the multipart upload of {@code state}, whose bytes are all in the blob's object (a first
     * chunk of at least S3's minimum part size), and copies that object server-side as its part 1, on the
     * condition that it still has the ETag the handle recorded. The object stays as it is until the
     * multipart upload completes, so the old handle stays valid if this chunk fails.
     */
    Future<S3UploadHandle> promoteTail(S3UploadHandle state) {
        return startMultipart(state).compose(started -> call("cannot continue upload " + state.id(),
                () -> s3.uploadPartCopy(b -> b.sourceBucket(bucket()).sourceKey(state.key())
                        .destinationBucket(bucket()).destinationKey(state.key())
                        .uploadId(started.multipartId()).partNumber(started.nextPart())
                        .copySourceIfMatch("\"" + state.tailEtag() + "\"")))
                .recover(err -> Future.failedFuture(S3Errors.status(err) == 412
                        ? tailChanged(state, "another ETag", "continued")
                        : err))
                .map(r -> started.withPart(state.tail(),
                        S3UploadHandle.normalizeEtag(r.copyPartResult().eTag()))));
    }

    /** Stores {@code size} bytes of {@code bytes} as part {@code number}; returns the part's ETag. */
    Future<String> uploadPart(S3UploadHandle state, int number, byte[] bytes, int size) {
        if (number > MAX_PARTS) {
            return Future.failedFuture(new StorageException("upload " + state.id() + " needs more than " + MAX_PARTS
                    + " parts; raise registry.storage.s3.part-size for larger blobs", null, true));
        }
        return call("cannot store part " + number + " of upload " + state.id(),
                () -> s3.uploadPart(b -> b.bucket(bucket()).key(state.key()).uploadId(state.multipartId())
                        .partNumber(number).contentLength((long) size),
                        AsyncRequestBody.fromByteBufferUnsafe(ByteBuffer.wrap(bytes, 0, size))))
                .map(r -> S3UploadHandle.normalizeEtag(r.eTag()));
    }

    /** Stores a pending tail object; returns its ETag. */
    Future<String> writeTail(String key, byte[] bytes, int size) {
        return call("cannot store the pending tail " + key,
                () -> s3.putObject(b -> b.bucket(bucket()).key(key).contentLength((long) size)
                        .contentType("application/octet-stream"),
                        AsyncRequestBody.fromByteBufferUnsafe(ByteBuffer.wrap(bytes, 0, size))))
                .map(r -> S3UploadHandle.normalizeEtag(r.eTag()));
    }

    /** The pending tail of {@code state}, checked against the size and ETag the handle recorded. */
    Future<byte[]> readTail(S3UploadHandle state) {
        String key = state.tailKey();
        return call("cannot read the pending tail " + key,
                () -> s3.getObject(b -> b.bucket(bucket()).key(key), AsyncResponseTransformer.toBytes()))
                .map(bytes -> {
                    String etag = S3UploadHandle.normalizeEtag(bytes.response().eTag());
                    byte[] content = bytes.asByteArrayUnsafe();
                    if (content.length != state.tail() || !etag.equals(state.tailEtag())) {
                        throw tailChanged(state, content.length + " bytes, ETag " + etag, "continued");
                    }
                    return content;
                });
    }

    private static StorageException tailChanged(S3UploadHandle state, String found, String action) {
        return new StorageException("the pending tail " + state.tailKey() + " of upload " + state.id()
                + " changed behind the registry (" + found + "; expected " + state.tail() + " bytes, ETag "
                + state.tailEtag() + "); the upload cannot be " + action, null, false);
    }

    @Override
    public Future<StorageKey> commitUpload(String handle, long size, Digest digest) {
        S3UploadHandle state;
        try {
            state = S3UploadHandle.parse(handle);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(new StorageException("cannot commit upload: " + e.getMessage(), e, false));
        }
        if (state.size() != size) {
            return Future.failedFuture(new StorageException("upload " + state.id() + " holds " + state.size()
                    + " bytes, expected " + size, null, false));
        }
        StorageKey key = new StorageKey(state.key());
        if (size > 0 && !state.hasMultipart() && state.tailInBlob()) {
            // the blob is in place: checking it and clearing the leftovers of failed chunks do not depend
            // on each other, so they run side by side (one S3 round trip less per blob pushed in one request)
            Future<Void> checked = checkInPlace(state)
                    .recover(err -> S3Errors.isNotFound(err) ? alreadyCompleted(state, err) : Future.failedFuture(err));
            Future<Void> cleared = cleanUpAfterCommit(state, "");
            return Future.all(checked, cleared).transform(ar -> checked.map(key));
        }
        Future<Void> completed;
        if (size == 0) {
            completed = commitEmpty(state);
        } else if (state.hasMultipart()) {
            completed = completeMultipart(state);
        } else if (state.tailInBlob()) {
            completed = checkInPlace(state);
        } else {
            completed = copyTail(state);
        }
        return completed
                .recover(err -> S3Errors.isNotFound(err) ? alreadyCompleted(state, err) : Future.failedFuture(err))
                .compose(v -> cleanUpAfterCommit(state, state.multipartId()))
                .map(v -> key);
    }

    /** {@link #cleanUp} at commit: a failure only leaves objects behind, it does not fail the commit. */
    private Future<Void> cleanUpAfterCommit(S3UploadHandle state, String keep) {
        return cleanUp(state, keep).otherwise(err -> {
            LOG.log(System.Logger.Level.WARNING, "Upload {0} committed, but its pending objects stay: {1}", state.id(),
                    err.getMessage());
            return null;
        });
    }

    /** S3 has no empty multipart upload: abort one (of a handle made before they started lazily), store an empty object. */
    private Future<Void> commitEmpty(S3UploadHandle state) {
        return (state.hasMultipart() ? abortMultipart(state) : Future.<Void>succeededFuture())
                .compose(v -> call("cannot store empty blob " + state.key(),
                        () -> s3.putObject(b -> b.bucket(bucket()).key(state.key()).contentLength(0L)
                                .contentType("application/octet-stream"), AsyncRequestBody.empty())))
                .mapEmpty();
    }

    private Future<Void> completeMultipart(S3UploadHandle state) {
        return listParts(state).compose(parts -> {
            // only the parts the handle counts: anything numbered beyond is left over from a failed attempt
            List<CompletedPart> completed = new ArrayList<>();
            String chain = "";
            long bytes = 0;
            for (int n = 1; n < state.nextPart(); n++) {
                Part p = parts.get(n);
                if (p == null) {
                    return Future.failedFuture(new StorageException("part " + n + " of upload " + state.id()
                            + " is missing from the multipart upload", null, false));
                }
                chain = S3UploadHandle.chain(chain, n, p.eTag());
                bytes += p.size();
                completed.add(CompletedPart.builder().partNumber(n).eTag(p.eTag()).build());
            }
            if (!chain.equals(state.chain()) || bytes != state.done()) {
                return Future.failedFuture(new StorageException("the parts of upload " + state.id()
                        + " changed behind the registry (" + bytes + " bytes in " + completed.size()
                        + " parts, expected " + state.done() + "); the upload cannot be committed", null, false));
            }
            Future<Void> last = Future.succeededFuture();
            if (state.tail() > 0) {
                int number = state.nextPart();
                last = readTail(state)
                        .compose(tail -> uploadPart(state, number, tail, tail.length))
                        .map(etag -> {
                            completed.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                            return null;
                        });
            }
            return last.compose(v -> call("cannot complete upload " + state.id(),
                    () -> s3.completeMultipartUpload(b -> b.bucket(bucket()).key(state.key())
                            .uploadId(state.multipartId()).multipartUpload(m -> m.parts(completed)))))
                    .mapEmpty();
        });
    }

    /** The first chunk wrote all the bytes straight to the blob's object: check it is still what it wrote. */
    private Future<Void> checkInPlace(S3UploadHandle state) {
        return call("cannot check upload " + state.id(), () -> s3.headObject(b -> b.bucket(bucket()).key(state.key())))
                .compose(r -> {
                    String etag = S3UploadHandle.normalizeEtag(r.eTag());
                    long length = r.contentLength() == null ? -1 : r.contentLength();
                    return length == state.tail() && etag.equals(state.tailEtag()) ? Future.<Void>succeededFuture()
                            : Future.failedFuture(tailChanged(state, length + " bytes, ETag " + etag, "committed"));
                });
    }

    /**
     * All the bytes are in a pending tail: one server-side copy makes the blob's object, on the condition
     * that the tail still has the ETag the handle recorded.
     */
    private Future<Void> copyTail(S3UploadHandle state) {
        String source = state.tailKey();
        return call("cannot copy the pending tail " + source + " to " + state.key(), () -> s3.copyObject(b -> b
                .sourceBucket(bucket()).sourceKey(source).destinationBucket(bucket()).destinationKey(state.key())
                .copySourceIfMatch("\"" + state.tailEtag() + "\"")))
                .<Void>mapEmpty()
                .recover(err -> Future.failedFuture(S3Errors.status(err) == 412
                        ? tailChanged(state, "another ETag", "committed")
                        : err));
    }

    /**
     * The multipart upload is gone: if an earlier commit of this handle completed it (and the registry
     * failed before recording that), the object is there with the right size and the commit stands.
     */
    private Future<Void> alreadyCompleted(S3UploadHandle state, Throwable original) {
        return call("cannot check upload " + state.id(), () -> s3.headObject(b -> b.bucket(bucket()).key(state.key())))
                .transform(ar -> ar.succeeded() && ar.result().contentLength() == state.size()
                        ? Future.<Void>succeededFuture()
                        : Future.failedFuture(S3Errors.map("upload " + state.id() + " is no longer in storage", original)));
    }

    /** Every part of the upload by number, following {@code NextPartNumberMarker} over pages. */
    Future<TreeMap<Integer, Part>> listParts(S3UploadHandle state) {
        TreeMap<Integer, Part> parts = new TreeMap<>();
        return listPartsFrom(state, 0, parts, 0).map(v -> parts);
    }

    private Future<Void> listPartsFrom(S3UploadHandle state, int marker, TreeMap<Integer, Part> parts, int pages) {
        if (pages > MAX_PARTS + 1) {
            return Future.failedFuture(new StorageException("ListParts of upload " + state.id() + " does not end", null,
                    false));
        }
        int pageSize = listPartsPageSize;
        return call("cannot list the parts of upload " + state.id(),
                () -> s3.listParts(b -> b.bucket(bucket()).key(state.key()).uploadId(state.multipartId())
                        .maxParts(pageSize).partNumberMarker(marker)))
                .compose((ListPartsResponse page) -> {
                    for (Part p : page.parts()) {
                        parts.put(p.partNumber(), p);
                    }
                    boolean truncated = Boolean.TRUE.equals(page.isTruncated());
                    // pages come in ascending part order: once past the last counted part, nothing more is needed
                    if (!truncated || page.parts().isEmpty() || parts.lastKey() >= state.nextPart() - 1) {
                        return Future.succeededFuture();
                    }
                    Integer next = page.nextPartNumberMarker();
                    int nextMarker = next != null && next > marker ? next : parts.lastKey();
                    if (nextMarker <= marker) {
                        return Future.failedFuture(new StorageException("ListParts of upload " + state.id()
                                + " does not advance past part " + marker, null, false));
                    }
                    return listPartsFrom(state, nextMarker, parts, pages + 1);
                });
    }

    @Override
    public Future<Void> abortUpload(String handle) {
        S3UploadHandle state;
        try {
            state = S3UploadHandle.parse(handle);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(new StorageException("cannot discard upload: " + e.getMessage(), e, false));
        }
        // a failed first chunk may have written the blob's object even when the handle has no tail there
        return (state.hasMultipart() ? abortMultipart(state) : Future.<Void>succeededFuture())
                .compose(v -> cleanUp(state, ""))
                .compose(v -> deleteKey(state.key()));
    }

    private Future<Void> abortMultipart(S3UploadHandle state) {
        return abortMultipart(state.key(), state.multipartId());
    }

    @Override
    public Future<Void> abortMultipart(String key, String multipartId) {
        return call("cannot discard multipart upload " + multipartId + " of " + key,
                () -> s3.abortMultipartUpload(b -> b.bucket(bucket()).key(key).uploadId(multipartId)))
                .<Void>mapEmpty()
                .recover(err -> S3Errors.isNotFound(err) ? Future.succeededFuture() : Future.failedFuture(err));
    }

    // ------------------------------------------------------------------------------------------ scans

    /** One {@code ListObjectsV2} request: a page holds at most 1000 objects whatever {@code limit} asks. */
    @Override
    public Future<ObjectPage> list(String prefix, String startAfter, int limit) {
        if (limit < 1) {
            return Future.failedFuture(new IllegalArgumentException("limit must be positive: " + limit));
        }
        return ensureBucket().compose(v -> call("cannot list " + prefix, () -> s3.listObjectsV2(b -> b.bucket(bucket())
                .prefix(prefix).startAfter(startAfter).maxKeys(Math.min(limit, 1000)))))
                .map(page -> new ObjectPage(page.contents().stream()
                        .map(o -> new StoredObject(o.key(), o.size() == null ? 0 : o.size(), o.lastModified()))
                        .toList(), Boolean.TRUE.equals(page.isTruncated())));
    }

    /** Besides {@code uploads/<id>/...}, the blob object {@code blobs/<id>/data} an upload writes into. */
    @Override
    public Optional<String> uploadOwning(String key) {
        String[] parts = key.split("/", -1);
        if (parts.length == 3 && parts[0].equals("blobs") && parts[2].equals("data")) {
            return Optional.of(parts[1]);
        }
        return BlobStore.super.uploadOwning(key);
    }

    /** {@code after} is {@code <key marker>\n<upload id marker>}, as S3 pages them. */
    @Override
    public Future<MultipartPage> multipartUploads(String prefix, String after, int limit) {
        String keyMarker = after == null ? null : after.substring(0, after.indexOf('\n'));
        String idMarker = after == null ? null : after.substring(after.indexOf('\n') + 1);
        return ensureBucket().compose(v -> call("cannot list the multipart uploads of " + prefix,
                () -> s3.listMultipartUploads(b -> b.bucket(bucket()).prefix(prefix).keyMarker(keyMarker)
                        .uploadIdMarker(idMarker).maxUploads(Math.min(limit, 1000)))))
                .map(page -> new MultipartPage(page.uploads().stream()
                        .map(u -> new PendingMultipart(u.key(), u.uploadId(), u.initiated()))
                        .toList(), Boolean.TRUE.equals(page.isTruncated()) && page.nextKeyMarker() != null
                                ? page.nextKeyMarker() + "\n" + (page.nextUploadIdMarker() == null ? "" : page.nextUploadIdMarker())
                                : null));
    }

    /**
     * Deletes every object under {@code uploads/<id>/}: the pending tails (one per chunk that left one,
     * including chunks that failed or were never recorded) and the multipart marker. The listing is what
     * finds the leftovers of failed chunks, which no handle names. When the marker is there, multipart
     * uploads of the blob's key other than {@code keep} (started by a chunk that failed) are aborted first.
     */
    Future<Void> cleanUp(S3UploadHandle state, String keep) {
        return cleanUpPage(state, keep, null, 0);
    }

    private Future<Void> cleanUpPage(S3UploadHandle state, String keep, String token, int pages) {
        String prefix = S3UploadHandle.uploadPrefix(state.id());
        if (pages > 1000) {
            return Future.failedFuture(new StorageException("listing " + prefix + " does not end", null, false));
        }
        String marker = S3UploadHandle.multipartMarker(state.id());
        return call("cannot list " + prefix, () -> s3.listObjectsV2(b -> b.bucket(bucket()).prefix(prefix)
                .continuationToken(token)))
                .compose((ListObjectsV2Response page) -> {
                    boolean marked = page.contents().stream().anyMatch(o -> o.key().equals(marker));
                    // the marker goes only once the uploads it points at are aborted
                    Future<Void> aborted = marked ? abortMultipartsBut(state, keep, null, null, 0) : Future.succeededFuture();
                    return aborted.compose(a -> {
                        List<Future<Void>> deletions = new ArrayList<>();
                        for (S3Object o : page.contents()) {
                            deletions.add(deleteKey(o.key()));
                        }
                        return Future.all(deletions);
                    }).compose(v -> Boolean.TRUE.equals(page.isTruncated()) && page.nextContinuationToken() != null
                            ? cleanUpPage(state, keep, page.nextContinuationToken(), pages + 1)
                            : Future.succeededFuture());
                });
    }

    /** Aborts the multipart uploads in progress of the blob's key, except {@code keep}. */
    private Future<Void> abortMultipartsBut(S3UploadHandle state, String keep, String keyMarker, String idMarker,
            int pages) {
        if (pages > 1000) {
            return Future.failedFuture(new StorageException("listing the multipart uploads of " + state.key()
                    + " does not end", null, false));
        }
        return call("cannot list the multipart uploads of " + state.key(), () -> s3.listMultipartUploads(b -> b
                .bucket(bucket()).prefix(state.key()).keyMarker(keyMarker).uploadIdMarker(idMarker)))
                .compose((ListMultipartUploadsResponse page) -> {
                    List<Future<Void>> aborts = new ArrayList<>();
                    for (MultipartUpload u : page.uploads()) {
                        if (u.key().equals(state.key()) && !u.uploadId().equals(keep)) {
                            aborts.add(abortMultipart(state.withMultipart(u.uploadId())));
                        }
                    }
                    return Future.all(aborts).compose(v -> Boolean.TRUE.equals(page.isTruncated())
                            ? abortMultipartsBut(state, keep, page.nextKeyMarker(), page.nextUploadIdMarker(), pages + 1)
                            : Future.succeededFuture());
                });
    }

    // ------------------------------------------------------------------------------------------ blobs

    @Override
    public Future<ReadStream<Buffer>> read(StorageKey key, long offset, long length) {
        Context context = vertx.getOrCreateContext();
        if (length == 0) {
            return Future.succeededFuture(PublisherReadStream.empty(context));
        }
        String range = "bytes=" + offset + "-" + (offset + length - 1);
        return call("cannot read " + key, () -> s3.getObject(b -> b.bucket(bucket()).key(key.path()).range(range),
                AsyncResponseTransformer.toPublisher()))
                .map(publisher -> new PublisherReadStream(context, publisher));
    }

    @Override
    public Optional<URI> redirectUrl(StorageKey key) {
        try {
            URI uri = presigner.presignGetObject(p -> p.signatureDuration(settings.presignTtl())
                    .getObjectRequest(g -> g.bucket(bucket()).key(key.path()))).url().toURI();
            return Optional.of(uri);
        } catch (URISyntaxException e) {
            LOG.log(System.Logger.Level.WARNING, "Pre-signed URL of {0} is not a URI: {1}", key, e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public Future<Void> delete(StorageKey key) {
        return deleteKey(key.path());
    }

    /**
     * {@code DeleteObjects} in quiet mode (the answer lists only failures), {@value #DELETE_BATCH} keys per request
     * (S3's limit), the requests one after the other. A request that fails as a whole fails the call.
     */
    @Override
    public Future<List<String>> deleteAll(List<StorageKey> keys) {
        List<String> failed = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
            List<StorageKey> batch = keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH));
            chain = chain.compose(v -> deleteBatch(batch, failed));
        }
        return chain.map(v -> List.copyOf(failed));
    }

    private Future<Void> deleteBatch(List<StorageKey> batch, List<String> failed) {
        List<ObjectIdentifier> objects = new ArrayList<>(batch.size());
        for (StorageKey key : batch) {
            objects.add(ObjectIdentifier.builder().key(key.path()).build());
        }
        return call("cannot delete " + batch.size() + " objects", () -> s3.deleteObjects(b -> b.bucket(bucket())
                .delete(d -> d.objects(objects).quiet(true))))
                .map((DeleteObjectsResponse r) -> {
                    for (S3Error error : r.errors()) {
                        // a key that is gone already is deleted (S3 itself never reports it; some servers do)
                        if (!"NoSuchKey".equals(error.code())) {
                            LOG.log(System.Logger.Level.WARNING, "cannot delete {0}: {1} {2}", error.key(),
                                    error.code(), error.message());
                            failed.add(error.key());
                        }
                    }
                    return null;
                });
    }

    private Future<Void> deleteKey(String key) {
        // S3 deletes are idempotent: a missing key is no error
        return call("cannot delete " + key, () -> s3.deleteObject(b -> b.bucket(bucket()).key(key)))
                .<Void>mapEmpty()
                .recover(err -> S3Errors.isNotFound(err) ? Future.succeededFuture() : Future.failedFuture(err));
    }

    @Override
    public Future<StorageHealth> health() {
        String where = "bucket " + bucket() + (settings.endpoint() != null ? " at " + settings.endpoint() : "");
        return ensureBucket()
                .compose(v -> call("HeadBucket", () -> s3.headBucket(b -> b.bucket(bucket()))))
                .map(r -> new StorageHealth(true, where + " reachable"))
                .otherwise(err -> new StorageHealth(false, where + " not reachable: " + reason(err)));
    }

    private static String reason(Throwable err) {
        Throwable t = err instanceof StorageException && err.getCause() != null ? err.getCause() : err;
        if (S3Errors.unwrap(t) instanceof StorageException se) {
            return se.getMessage();
        }
        int status = S3Errors.status(t);
        if (status == 404) {
            return "no such bucket (404)";
        }
        if (status == 403) {
            return "access denied (403): check the credentials and the bucket policy";
        }
        String code = S3Errors.code(t);
        String message = S3Errors.unwrap(t).getMessage();
        return (status > 0 ? status + " " : "") + (code != null ? code + ": " : "") + message;
    }

    /**
     * Creates the bucket when {@code create-bucket} is on, until that succeeded once. (No future is
     * shared between callers: a Vert.x future calls back on the context it was made on, which would be
     * another request's.) Concurrent first calls both ask; S3 answers the second that the bucket is ours.
     */
    private Future<Void> ensureBucket() {
        if (!settings.createBucket() || bucketReady) {
            return Future.succeededFuture();
        }
        return call("cannot create bucket " + bucket(), () -> s3.createBucket(b -> {
            b.bucket(bucket());
            if (!Region.US_EAST_1.id().equals(settings.region())) {
                b.createBucketConfiguration(CreateBucketConfiguration.builder().locationConstraint(settings.region()).build());
            }
        })).<Void>mapEmpty().recover(err -> {
            String code = S3Errors.code(err);
            if ("BucketAlreadyOwnedByYou".equals(code) || "BucketAlreadyExists".equals(code)) {
                return Future.succeededFuture();
            }
            return Future.failedFuture(err);
        }).onSuccess(v -> {
            if (!bucketReady) {
                bucketReady = true;
                LOG.log(System.Logger.Level.INFO, "S3 bucket {0} is ready", bucket());
            }
        });
    }

    /** Runs an SDK call and completes on the caller's Vert.x context, with failures as StorageExceptions. */
    private <T> Future<T> call(String what, Supplier<CompletableFuture<T>> request) {
        Context context = vertx.getOrCreateContext();
        CompletableFuture<T> future;
        try {
            future = request.get();
        } catch (RuntimeException e) {
            return Future.failedFuture(S3Errors.map(what, e));
        }
        return Future.fromCompletionStage(future, context).recover(err -> Future.failedFuture(S3Errors.map(what, err)));
    }

    @Override
    public void close() {
        presigner.close();
        s3.close();
        eventLoops.eventLoopGroup().shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    }
}
