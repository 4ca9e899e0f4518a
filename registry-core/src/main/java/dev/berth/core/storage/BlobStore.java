package dev.berth.core.storage;

import dev.berth.core.digest.Digest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The storage SPI: content-addressed blobs and resumable uploads. Every method is asynchronous and
 * must not block the calling event loop.
 *
 * <p>An upload is identified by an opaque {@code handle} that the driver returns and the registry
 * keeps in PostgreSQL, so that any replica can continue the upload: a driver must not hold upload
 * state in memory or on one replica's local disk (for S3 the handle carries the multipart upload id
 * and the parts written so far). Committing an upload is zero-copy where the backend allows it: the
 * upload's object becomes the blob's object.
 */
public interface BlobStore {

    /** A short name for logs and health checks, such as {@code filesystem}. */
    String type();

    /** Starts an upload and returns its handle. */
    Future<String> beginUpload(String uploadId);

    /**
     * Appends {@code chunk} to the upload at {@code offset}, the number of bytes accepted so far.
     * Bytes a crashed earlier attempt may have left past {@code offset} are overwritten. The stream is
     * consumed to its end; the result carries the (possibly new) handle and the bytes written.
     */
    Future<ChunkWritten> writeChunk(String handle, long offset, ReadStream<Buffer> chunk);

    /**
     * {@link #writeChunk(String, long, ReadStream)} for a chunk whose size the client announced
     * ({@code Content-Length}), {@code length} {@code -1} when it did not. A driver may use the size to
     * stream the chunk to its backend without staging it (S3: one {@code PutObject}); it must fail the
     * write when the stream carries another number of bytes.
     */
    default Future<ChunkWritten> writeChunk(String handle, long offset, ReadStream<Buffer> chunk, long length) {
        return writeChunk(handle, offset, chunk);
    }

    /**
     * Turns the first {@code size} bytes of the upload into the blob {@code digest} and returns where the
     * blob now lives. If the blob is stored already the upload is discarded (one copy per digest).
     */
    Future<StorageKey> commitUpload(String handle, long size, Digest digest);

    /**
     * Streams the first {@code size} bytes of an upload that is not committed yet. Only needed for the
     * rare digest the registry did not compute while the bytes arrived (SHA-512 named at commit).
     */
    default Future<ReadStream<Buffer>> readUpload(String handle, long size) {
        return Future.failedFuture(new UnsupportedOperationException(type() + " storage cannot re-read an upload"));
    }

    /** Discards an upload; succeeds if it is gone already. */
    Future<Void> abortUpload(String handle);

    // ------------------------------------------------------------------- scans of the whole store (gc-worker's orphans)

    /**
     * Up to {@code limit} objects whose keys start with {@code prefix} and sort after {@code startAfter} (every one
     * when it is {@code null}), in ascending lexical order of their keys, with their sizes and modification times.
     * Continue with the page's {@link ObjectPage#lastKey()} while it is {@link ObjectPage#truncated() truncated}.
     * A driver never holds more than about a page (and, for a filesystem, the entries of the folders on the
     * current path) in memory, whatever the size of the store.
     */
    Future<ObjectPage> list(String prefix, String startAfter, int limit);

    /**
     * The registry upload that object {@code key} belongs to while that upload's session exists, if the key says
     * so: {@code uploads/<id>/...} on every driver, and on S3 also {@code blobs/<id>/data} (the object an upload
     * writes its blob into). Computed locally, without I/O.
     */
    default Optional<String> uploadOwning(String key) {
        String[] parts = key.split("/", -1);
        return parts.length >= 3 && parts[0].equals("uploads") ? Optional.of(parts[1]) : Optional.empty();
    }

    /**
     * Deletes an object that a scan found unreferenced, unless it was written after {@code writtenBefore}: a
     * driver whose keys an upload may reuse (a filesystem, where an upload of a digest that is stored already
     * keeps the stored file, and a commit renames the upload into place) must make this check and the deletion
     * one step with respect to such commits, which mark the object as written by them. Returns whether the object
     * was deleted (false: it was written since, or is gone already).
     */
    default Future<Boolean> deleteUnchangedSince(String key, java.time.Instant writtenBefore) {
        return delete(new StorageKey(key)).map(true);
    }

    /**
     * Up to {@code limit} multipart uploads in progress whose keys start with {@code prefix}, from position
     * {@code after} (a previous page's {@link MultipartPage#next()}, {@code null} to start). Drivers without
     * multipart uploads answer an empty page.
     */
    default Future<MultipartPage> multipartUploads(String prefix, String after, int limit) {
        return Future.succeededFuture(MultipartPage.EMPTY);
    }

    /** Aborts a multipart upload found by {@link #multipartUploads}; succeeds if it is gone already. */
    default Future<Void> abortMultipart(String key, String uploadId) {
        return Future.succeededFuture();
    }

    /** Streams {@code length} bytes of a blob from {@code offset}. */
    Future<ReadStream<Buffer>> read(StorageKey key, long offset, long length);

    /** A local file for zero-copy serving ({@code sendfile}), when the driver has one. */
    default Optional<Path> localFile(StorageKey key) {
        return Optional.empty();
    }

    /**
     * A URL from which a client can fetch the whole blob directly (such as a pre-signed S3 GET URL), for
     * {@code 307} redirects of pulls; empty when the driver has none. Computed locally, without I/O.
     */
    default Optional<URI> redirectUrl(StorageKey key) {
        return Optional.empty();
    }

    /**
     * Whether every upload of a digest commits to the same key ({@link #commitUpload} of the filesystem driver: one
     * path per digest), so that an object garbage collection queued for deletion may have the key of a new upload of
     * the same digest. The registry then deletes such queued objects itself before committing the upload (see
     * docs/garbage-collection.md). False for drivers that give every upload its own key (S3).
     */
    default boolean keysSharedByUploads() {
        return false;
    }

    /** Deletes a blob; succeeds if it is gone already. */
    Future<Void> delete(StorageKey key);

    /**
     * Deletes many blobs (garbage collection), in as few requests as the backend allows; a key that is gone already
     * counts as deleted. Fails only when nothing could be asked of the backend; otherwise succeeds with the paths of
     * the keys that could not be deleted (empty: all gone), the reason of each logged by the driver. This default
     * deletes one key at a time.
     */
    default Future<List<String>> deleteAll(List<StorageKey> keys) {
        List<String> failed = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (StorageKey key : keys) {
            chain = chain.compose(v -> delete(key).otherwise(err -> {
                failed.add(key.path());
                return null;
            }));
        }
        return chain.map(v -> List.copyOf(failed));
    }

    /** Whether the store can take writes now, with a reason when it cannot (for readiness checks). */
    Future<StorageHealth> health();

    record ChunkWritten(String handle, long bytesWritten) {
    }

    record StorageHealth(boolean up, String detail) {
    }
}
