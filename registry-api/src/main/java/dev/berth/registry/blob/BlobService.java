package dev.berth.registry.blob;

import dev.berth.core.digest.Digest;
import dev.berth.core.event.RegistryEvent;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.config.RegistryConfig;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.outbox.OutboxRepository;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** Reading blobs of a repository (one statement, on the pool) and unlinking them (with the event). */
@ApplicationScoped
public class BlobService {
    private final BlobRepository blobs;
    private final OutboxRepository outbox;
    private final Pool sql;
    private final long touchIntervalMillis;

    public BlobService(BlobRepository blobs, OutboxRepository outbox, Pool sql, RegistryConfig config) {
        this.blobs = blobs;
        this.outbox = outbox;
        this.sql = sql;
        this.touchIntervalMillis = config.gc().touchInterval().toMillis();
    }

    /** The blob as linked in the repository, or {@code BLOB_UNKNOWN}. */
    public Uni<Blob> find(RepositoryName name, Digest digest) {
        return linked(name, digest).map(BlobRepository.Linked::blob);
    }

    /**
     * {@link #find} for a {@code HEAD}, which tells a client it may skip the upload and push a manifest naming the
     * blob: the link (and blob) are touched first, so garbage collection keeps them for its grace period. Only
     * when the link's last touch is older than {@code registry.gc.touch-interval}: usually one statement.
     */
    public Uni<Blob> check(RepositoryName name, Digest digest) {
        return linked(name, digest).call(linked -> linked.touchDue()
                ? blobs.touch(sql, linked.blob().digest(), linked.linkId())
                : Uni.createFrom().voidItem())
                .map(BlobRepository.Linked::blob);
    }

    private Uni<BlobRepository.Linked> linked(RepositoryName name, Digest digest) {
        return blobs.findLinked(sql, name.value(), digest.toString(), touchIntervalMillis)
                .onItem().ifNull().failWith(() -> unknown(name, digest));
    }

    /**
     * Unlinks the blob from the repository, with its {@code blob.deleted} event. The bytes stay in storage for
     * garbage collection to decide on: other repositories or manifests may still use them.
     */
    public Uni<Void> unlink(RepositoryName name, Digest digest, String actor) {
        return sql.withTransaction(tx -> blobs.unlink(tx, name.value(), digest.toString()).chain(size -> size == null
                ? Uni.createFrom().failure(unknown(name, digest))
                : outbox.append(tx, List.of(RegistryEvent.of(RegistryEvent.BLOB_DELETED, name.value())
                        .withDigest(digest.toString()).withSize(size).withActor(actor)))));
    }

    private static RegistryException unknown(RepositoryName name, Digest digest) {
        return new RegistryException(OciError.BLOB_UNKNOWN, "blob " + digest + " is unknown to repository " + name);
    }
}
