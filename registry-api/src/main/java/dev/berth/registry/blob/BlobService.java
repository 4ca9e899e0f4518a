package dev.berth.registry.blob;

import dev.berth.core.digest.Digest;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.repository.ImageRepositoryRepository;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

/** Reading and unlinking blobs of a repository. */
@ApplicationScoped
public class BlobService {
    private final ImageRepositoryRepository repositories;
    private final BlobRepository blobs;
    private final Pool sql;

    public BlobService(ImageRepositoryRepository repositories, BlobRepository blobs, Pool sql) {
        this.repositories = repositories;
        this.blobs = blobs;
        this.sql = sql;
    }

    /** The blob as linked in the repository, or {@code BLOB_UNKNOWN}. */
    public Uni<Blob> find(RepositoryName name, Digest digest) {
        return blobs.findLinked(sql, name.value(), digest.toString())
                .onItem().ifNull().failWith(() -> new RegistryException(OciError.BLOB_UNKNOWN,
                        "blob " + digest + " is unknown to repository " + name));
    }

    /**
     * Unlinks the blob from the repository. The bytes stay in storage for garbage collection to decide
     * on: other repositories or manifests may still use them.
     */
    public Uni<Void> unlink(RepositoryName name, Digest digest) {
        return Panache.withTransaction(() -> repositories.findByName(name.value())
                .chain(repo -> repo == null ? Uni.createFrom().item(0L) : blobs.unlink(repo.id, digest.toString())))
                .chain(removed -> removed == 0
                        ? Uni.createFrom().failure(new RegistryException(OciError.BLOB_UNKNOWN,
                                "blob " + digest + " is unknown to repository " + name))
                        : Uni.createFrom().voidItem());
    }
}
