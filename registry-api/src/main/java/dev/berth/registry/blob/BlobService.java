package dev.berth.registry.blob;

import dev.berth.core.digest.Digest;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

/** Reading and unlinking blobs of a repository: one statement each, so on the pool. */
@ApplicationScoped
public class BlobService {
    private final BlobRepository blobs;
    private final Pool sql;

    public BlobService(BlobRepository blobs, Pool sql) {
        this.blobs = blobs;
        this.sql = sql;
    }

    /** The blob as linked in the repository, or {@code BLOB_UNKNOWN}. */
    public Uni<Blob> find(RepositoryName name, Digest digest) {
        return blobs.findLinked(sql, name.value(), digest.toString())
                .onItem().ifNull().failWith(() -> unknown(name, digest));
    }

    /**
     * Unlinks the blob from the repository. The bytes stay in storage for garbage collection to decide
     * on: other repositories or manifests may still use them.
     */
    public Uni<Void> unlink(RepositoryName name, Digest digest) {
        return blobs.unlink(sql, name.value(), digest.toString())
                .chain(removed -> removed ? Uni.createFrom().voidItem() : Uni.createFrom().failure(unknown(name, digest)));
    }

    private static RegistryException unknown(RepositoryName name, Digest digest) {
        return new RegistryException(OciError.BLOB_UNKNOWN, "blob " + digest + " is unknown to repository " + name);
    }
}
