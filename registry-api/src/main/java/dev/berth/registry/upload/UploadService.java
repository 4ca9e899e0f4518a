package dev.berth.registry.upload;

import dev.berth.core.digest.Digest;
import dev.berth.core.digest.DigestingReadStream;
import dev.berth.core.digest.ResumableDigester;
import dev.berth.core.event.RegistryEvent;
import dev.berth.core.name.RepositoryName;
import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.StorageKey;
import dev.berth.registry.blob.BlobRepository;
import dev.berth.registry.config.RegistryConfig;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.outbox.OutboxRepository;
import dev.berth.registry.repository.ImageRepositoryRepository;
import dev.berth.registry.http.Responses;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgException;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Blob uploads: sessions, chunks, commit, cancel and cross-repository mounts.
 *
 * <p>Each chunk is written while its session row is locked ({@code FOR UPDATE NOWAIT}); the new size
 * and hash state are stored in the same transaction, so a chunk either counts completely or not at all.
 * A commit checks the digest from the carried hash state (the blob is never read again) and turns the
 * upload into the blob without copying; one that finds the upload busy waits for it a little
 * ({@code registry.uploads.commit-lock-wait}) rather than failing the push.
 *
 * <p>A request whose client has left takes no lock: it is checked just before the lock and again once
 * it holds it (a request can reach this point long after its connection closed, behind a slow database
 * connection or token check, and would otherwise make the client's next, legitimate request on the
 * upload fail as busy).
 */
@ApplicationScoped
public class UploadService {
    private static final Logger LOG = Logger.getLogger(UploadService.class);
    private static final String FOREIGN_KEY_VIOLATION = "23503";

    private final ImageRepositoryRepository repositories;
    private final UploadSessionRepository sessions;
    private final BlobRepository blobs;
    private final OutboxRepository outbox;
    private final BlobStore store;
    private final Pool sql;
    private final Duration commitLockWait;
    /** Upload requests dropped before they took their upload, because their client had gone. */
    private final Counter clientsGone;

    public UploadService(ImageRepositoryRepository repositories, UploadSessionRepository sessions,
            BlobRepository blobs, OutboxRepository outbox, BlobStore store, Pool sql, RegistryConfig config,
            MeterRegistry metrics) {
        this.repositories = repositories;
        this.outbox = outbox;
        this.sessions = sessions;
        this.blobs = blobs;
        this.store = store;
        this.sql = sql;
        this.commitLockWait = config.uploads().commitLockWait();
        this.clientsGone = metrics.counter("berth.registry.uploads.client.gone");
    }

    /**
     * Whether the client of a request is still there: the reason it is gone (its connection closed, its
     * body failed), or {@code null}. Asked on the event loop of the request.
     */
    @FunctionalInterface
    public interface Client {
        /** For work no client waits on. */
        Client NONE = () -> null;

        Throwable gone();
    }

    /** A chunk as it arrives: the body, its announced length (-1 if unknown) and {@code Content-Range}. */
    public record Chunk(ReadStream<Buffer> body, long contentLength, ChunkRange range) {
    }

    /** The inclusive byte range a client says its chunk covers. */
    public record ChunkRange(long start, long end) {
        public static ChunkRange parse(String header) {
            if (header == null || header.isBlank()) {
                return null;
            }
            String v = header.trim();
            if (v.startsWith("bytes ")) {
                v = v.substring(6);
            } else if (v.startsWith("bytes=")) {
                v = v.substring(6);
            }
            int dash = v.indexOf('-');
            try {
                long start = Long.parseLong(v.substring(0, dash));
                int slash = v.indexOf('/');
                long end = Long.parseLong(slash < 0 ? v.substring(dash + 1) : v.substring(dash + 1, slash));
                if (start < 0 || end < start) {
                    throw RegistryException.rangeInvalid("invalid Content-Range: " + header);
                }
                return new ChunkRange(start, end);
            } catch (RuntimeException e) {
                if (e instanceof RegistryException re) {
                    throw re;
                }
                throw RegistryException.rangeInvalid("invalid Content-Range: " + header);
            }
        }
    }

    public Uni<UploadSession> start(RepositoryName name, String actor) {
        return start(name, false, actor);
    }

    /**
     * Opens an upload session; {@code trackSha512} when the client already named a sha512 digest,
     * so that SHA-512 is computed as the bytes arrive. The first upload into a repository creates it (with its
     * {@code repository.created} event, {@code actor} the caller).
     */
    public Uni<UploadSession> start(RepositoryName name, boolean trackSha512, String actor) {
        UUID id = UUID.randomUUID();
        return Responses.uni(store.beginUpload(id.toString())).chain(handle -> {
            UploadSession s = new UploadSession();
            s.id = id;
            s.storageHandle = handle;
            s.committedSize = 0;
            s.hashState = trackSha512 ? ResumableDigester.freshWithSha512().exportState() : null;
            s.createdAt = OffsetDateTime.now();
            s.updatedAt = s.createdAt;
            // one statement when the repository exists (every upload after its first)
            return sessions.insertInto(sql, name.value(), s)
                    .chain(inserted -> inserted ? Uni.createFrom().item(true)
                            : sql.withTransaction(tx -> repositories.createIfMissing(tx, name.value())
                                    .chain(created -> created ? outbox.append(tx, List.of(RegistryEvent.of(
                                            RegistryEvent.REPOSITORY_CREATED, name.value()).withActor(actor)))
                                            : Uni.createFrom().voidItem())
                                    .chain(() -> sessions.insertInto(tx, name.value(), s))))
                    .map(inserted -> {
                        if (!inserted) {
                            // deleted again between the two statements
                            throw new RegistryException(OciError.NAME_UNKNOWN, "repository " + name + " was just deleted");
                        }
                        return s;
                    })
                    .onFailure().call(() -> Responses.uni(store.abortUpload(handle))
                            .onFailure().recoverWithNull());
        });
    }

    public Uni<UploadSession> status(RepositoryName name, UUID id) {
        return sessions.findOwned(sql, name.value(), id).map(s -> owned(s, id));
    }

    /** Appends one chunk ({@code PATCH}) and returns the session with its new size. */
    public Uni<UploadSession> append(RepositoryName name, UUID id, Chunk chunk, Client client) {
        return sql.withTransaction(tx -> lockOwned(tx, name, id, client, Duration.ZERO)
                .chain(session -> write(session, chunk))
                .call(written -> sessions.saveProgress(tx, written.session()))
                .map(Written::session));
    }

    /**
     * Finishes an upload ({@code PUT ?digest=}), with an optional last chunk. A digest that does not
     * match discards the upload entirely: nothing of it becomes a blob. A completed upload writes
     * {@code blob.pushed} ({@code actor} the caller), also when the repository had the blob already. An upload
     * another request holds is waited for, up to {@code registry.uploads.commit-lock-wait}: a client such as docker fails the
     * whole push on a 416 here.
     */
    public Uni<Digest> finish(RepositoryName name, UUID id, Digest expected, Chunk lastChunk, Client client, String actor) {
        // first without waiting (no extra statement on the usual path); the lock comes before the body is
        // read, so a busy attempt consumed nothing and can simply start over
        return finish(name, id, expected, lastChunk, client, actor, Duration.ZERO)
                .onFailure(UploadSessionRepository.Busy.class).recoverWithUni(busy -> {
                    if (commitLockWait.isZero() || commitLockWait.isNegative()) {
                        return Uni.createFrom().failure(busy);
                    }
                    LOG.debugf("Upload %s to %s is busy: the commit waits up to %s for it", id, name, commitLockWait);
                    return finish(name, id, expected, lastChunk, client, actor, commitLockWait);
                });
    }

    private Uni<Digest> finish(RepositoryName name, UUID id, Digest expected, Chunk lastChunk, Client client,
            String actor, Duration lockWait) {
        return sql.withTransaction(tx -> lockOwned(tx, name, id, client, lockWait)
                .chain(session -> lastChunk == null
                        ? Uni.createFrom().item(new Written(session, ResumableDigester.restore(session.hashState)))
                        : write(session, lastChunk))
                .chain(written -> digestOf(written, expected).chain(actual -> {
                    UploadSession session = written.session();
                    if (!actual.equals(expected)) {
                        LOG.infof("Upload %s to %s discarded: digest %s does not match the content (%s, %d bytes)", id,
                                name, expected, actual, session.committedSize);
                        return sessions.delete(tx, id)
                                .chain(() -> Responses.uni(store.abortUpload(session.storageHandle)))
                                .replaceWith(Committed.MISMATCH);
                    }
                    return takeOverPendingObjects(tx, expected)
                            .chain(() -> Responses.uni(store.commitUpload(session.storageHandle, session.committedSize,
                                    expected)))
                            .chain(key -> blobs.recordUpload(tx, expected.toString(), session.committedSize, key.path(),
                                            session.repositoryId, id)
                                    .call(() -> outbox.append(tx, List.of(RegistryEvent.of(RegistryEvent.BLOB_PUSHED,
                                            name.value()).withDigest(expected.toString())
                                            .withSize(session.committedSize).withActor(actor))))
                                    // the digest was stored before under another key: this copy goes
                                    .map(recorded -> new Committed(true, key.path().equals(recorded) ? null : key)));
                })))
                .call(committed -> committed.duplicate() == null ? Uni.createFrom().voidItem()
                        : discardDuplicate(id, expected, committed.duplicate()))
                .map(committed -> {
                    if (!committed.matched()) {
                        throw new RegistryException(OciError.DIGEST_INVALID,
                                "digest " + expected + " does not match the uploaded content; the upload was discarded");
                    }
                    return expected;
                });
    }

    /**
     * On a store whose uploads of one digest share the blob's key (filesystem: one path per digest), makes sure a
     * garbage collection of an earlier copy can never delete this upload's object: the blob's row is locked (a
     * collection deleting it is waited for; one that comes later skips it), then the deletions of the digest's
     * objects that a collection queued are taken over and done here, before this upload's object takes their
     * place. Both rows stay locked until the commit. The two statements are pipelined, in this order: the second
     * one's snapshot is taken after the first one's wait, so it sees what that collection queued.
     */
    private Uni<Void> takeOverPendingObjects(SqlConnection tx, Digest digest) {
        if (!store.keysSharedByUploads()) {
            return Uni.createFrom().voidItem();
        }
        String value = digest.toString();
        return Uni.combine().all().unis(blobs.lockForUpload(tx, value), blobs.claimPendingObjects(tx, value))
                .with((locked, keys) -> keys)
                .chain(keys -> Multi.createFrom().iterable(keys)
                        .onItem().transformToUniAndConcatenate(key -> Responses.uni(store.delete(new StorageKey(key)))
                                .invoke(() -> LOG.debugf("Upload of %s: deleted %s, which garbage collection had queued",
                                        digest, key)))
                        .collect().last())
                .replaceWithVoid();
    }

    /** What a commit did: whether the digest matched, and the object of a second copy of a stored blob. */
    private record Committed(boolean matched, StorageKey duplicate) {
        static final Committed MISMATCH = new Committed(false, null);
    }

    /** Deletes the object of an upload whose blob was stored already; a failure only leaves an orphan. */
    private Uni<Void> discardDuplicate(UUID id, Digest digest, StorageKey object) {
        return Responses.uni(store.delete(object))
                .invoke(() -> LOG.debugf("Upload %s: blob %s was stored already; its new copy %s was deleted", id, digest,
                        object))
                .onFailure().recoverWithItem(e -> {
                    LOG.warnf("Upload %s: blob %s was stored already, but its new copy %s could not be deleted: %s", id,
                            digest, object, e.getMessage());
                    return null;
                });
    }

    /** Cancels an upload ({@code DELETE}). */
    public Uni<Void> cancel(RepositoryName name, UUID id) {
        return sql.withTransaction(tx -> lockOwned(tx, name, id, Client.NONE, Duration.ZERO)
                .chain(session -> sessions.delete(tx, id)
                        .chain(() -> Responses.uni(store.abortUpload(session.storageHandle)))));
    }

    /**
     * Links an already stored blob into {@code name}: from repository {@code from} when given, else
     * from anywhere in the registry. Returns false when there is nothing to mount. One statement (see
     * {@link BlobRepository#mount}) and its events in one transaction: {@code repository.created} when it created
     * the repository, {@code blob.pushed} when it newly linked the blob (a mount of a blob the repository has
     * already writes none).
     */
    public Uni<Boolean> mount(RepositoryName name, Digest digest, RepositoryName from, String actor) {
        return mount(name, digest, from, actor, 0);
    }

    private Uni<Boolean> mount(RepositoryName name, Digest digest, RepositoryName from, String actor, int attempt) {
        return sql.withTransaction(tx -> blobs.mount(tx, name.value(), digest.toString(),
                from == null ? null : from.value()).call(mount -> outbox.append(tx, mountEvents(name, digest, mount,
                        actor))))
                // garbage collection deleted the blob (or the repository went) after the statement's snapshot: the
                // client uploads it instead (202, an upload session)
                .onFailure(UploadService::isForeignKeyViolation).recoverWithItem(e -> {
                    LOG.debugf("Mount of %s into %s: the blob was deleted meanwhile: %s", digest, name, e.getMessage());
                    return NOTHING_TO_MOUNT;
                })
                .chain(mount -> {
            if (!mount.available() || mount.linked()) {
                return Uni.createFrom().item(mount.available());
            }
            // the repository was created concurrently, after the statement's snapshot: now it is visible
            if (attempt >= 2) {
                return Uni.createFrom().failure(new IllegalStateException(
                        "repository " + name + " keeps appearing and disappearing under concurrent mounts"));
            }
            LOG.debugf("Mount of %s into %s: repository created concurrently, trying again", digest, name);
            return mount(name, digest, from, actor, attempt + 1);
        });
    }

    private static final BlobRepository.Mount NOTHING_TO_MOUNT = new BlobRepository.Mount(false, false, false, false, 0);

    private static boolean isForeignKeyViolation(Throwable e) {
        return e instanceof PgException pg && FOREIGN_KEY_VIOLATION.equals(pg.getSqlState());
    }

    private static List<RegistryEvent> mountEvents(RepositoryName name, Digest digest, BlobRepository.Mount mount,
            String actor) {
        List<RegistryEvent> events = new ArrayList<>(2);
        if (mount.repositoryCreated()) {
            events.add(RegistryEvent.of(RegistryEvent.REPOSITORY_CREATED, name.value()).withActor(actor));
        }
        if (mount.newlyLinked()) {
            events.add(RegistryEvent.of(RegistryEvent.BLOB_PUSHED, name.value()).withDigest(digest.toString())
                    .withSize(mount.size()).withActor(actor));
        }
        return events;
    }

    private record Written(UploadSession session, ResumableDigester digester) {
    }

    private Uni<Written> write(UploadSession session, Chunk chunk) {
        long offset = session.committedSize;
        if (chunk.range() != null) {
            if (chunk.range().start() != offset) {
                return Uni.createFrom().failure(RegistryException.rangeInvalid("chunk starts at "
                        + chunk.range().start() + " but the upload has " + offset + " bytes; continue at " + offset));
            }
            long announced = chunk.range().end() - chunk.range().start() + 1;
            if (chunk.contentLength() >= 0 && chunk.contentLength() != announced) {
                return Uni.createFrom().failure(RegistryException.rangeInvalid("Content-Range covers " + announced
                        + " bytes but Content-Length is " + chunk.contentLength()));
            }
        }
        ResumableDigester digester = ResumableDigester.restore(session.hashState);
        DigestingReadStream digesting = digesting(chunk, digester);
        // the store may be done before the body's end (S3 with an announced length): wait for the hashing too
        return Responses.uni(store.writeChunk(session.storageHandle, offset, digesting, chunk.contentLength())
                .compose(result -> digesting.hashed().map(result))).map(result -> {
            if (chunk.contentLength() >= 0 && digesting.count() != chunk.contentLength()) {
                throw new RegistryException(OciError.SIZE_INVALID, "chunk announced " + chunk.contentLength()
                        + " bytes but carried " + digesting.count());
            }
            session.storageHandle = result.handle();
            session.committedSize = offset + digesting.count();
            session.hashState = digester.exportState();
            session.updatedAt = OffsetDateTime.now();
            return new Written(session, digester);
        });
    }

    /** Bodies announced smaller than this are hashed where they arrive (a thread hand-off costs more). */
    private static final long OFFLOAD_HASHING_BYTES = 1 << 20;

    /**
     * Hashes the body on a worker thread while the event loop receives it and the store writes it: on a
     * large upload, SHA-256 would otherwise be a third of the event loop's work.
     */
    private static DigestingReadStream digesting(Chunk chunk, ResumableDigester digester) {
        Context context = Vertx.currentContext();
        boolean small = chunk.contentLength() >= 0 && chunk.contentLength() < OFFLOAD_HASHING_BYTES;
        if (context == null || small) {
            return new DigestingReadStream(chunk.body(), digester, chunk.contentLength());
        }
        return DigestingReadStream.offloaded(chunk.body(), digester, chunk.contentLength(),
                Infrastructure.getDefaultWorkerPool(), task -> context.runOnContext(v -> task.run()));
    }

    /**
     * The upload's digest in the requested algorithm: from the carried state, or, for a SHA-512 the
     * client named only at commit, by reading the upload once.
     */
    private Uni<Digest> digestOf(Written written, Digest expected) {
        if (written.digester().tracks(expected.algorithm())) {
            return Uni.createFrom().item(written.digester().digest(expected.algorithm()));
        }
        UploadSession session = written.session();
        return Responses.uni(store.readUpload(session.storageHandle, session.committedSize))
                .onFailure(UnsupportedOperationException.class).transform(e -> new RegistryException(
                        OciError.UNSUPPORTED, 400, "this storage checks sha512 digests only for uploads that name the "
                                + "digest up front (POST ?digest=sha512:...): " + e.getMessage()))
                .chain(stream -> Uni.createFrom().emitter(emitter -> {
                    java.security.MessageDigest md;
                    try {
                        md = java.security.MessageDigest.getInstance("SHA-512");
                    } catch (java.security.NoSuchAlgorithmException e) {
                        emitter.fail(e);
                        return;
                    }
                    stream.exceptionHandler(emitter::fail);
                    stream.handler(buffer -> md.update(buffer.getBytes()));
                    stream.endHandler(v -> emitter.complete(Digest.of(expected.algorithm(), md.digest())));
                    stream.resume();
                }));
    }

    /**
     * Locks the upload for {@code client}'s request, unless that client is gone: then nothing is locked, or
     * the lock is given up at once (the transaction rolls back) if the client left during the statement.
     */
    private Uni<UploadSession> lockOwned(SqlConnection tx, RepositoryName name, UUID id, Client client, Duration wait) {
        return Uni.createFrom().deferred(() -> {
            Throwable gone = client.gone();
            return gone != null ? clientGone(id, gone) : sessions.lockOwned(tx, name.value(), id, wait);
        }).chain(s -> {
            Throwable gone = client.gone();
            return gone != null ? clientGone(id, gone) : Uni.createFrom().item(owned(s, id));
        });
    }

    private Uni<UploadSession> clientGone(UUID id, Throwable reason) {
        clientsGone.increment();
        LOG.debugf("Upload %s: the client of this request has gone (%s); the upload is left as it was", id,
                reason.getMessage());
        return Uni.createFrom().failure(reason);
    }

    private static UploadSession owned(UploadSession session, UUID id) {
        if (session == null) {
            throw new RegistryException(OciError.BLOB_UPLOAD_UNKNOWN, "upload " + id + " is unknown to this repository");
        }
        return session;
    }
}
