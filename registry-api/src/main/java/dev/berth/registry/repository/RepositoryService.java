package dev.berth.registry.repository;

import dev.berth.core.event.RegistryEvent;
import dev.berth.core.name.RepositoryName;
import dev.berth.core.storage.BlobStore;
import dev.berth.registry.cache.ManifestCache;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.http.Responses;
import dev.berth.registry.outbox.OutboxRepository;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.jboss.logging.Logger;

/** Deleting a repository with everything in it (an administrator's action). */
@ApplicationScoped
public class RepositoryService {
    private static final Logger LOG = Logger.getLogger(RepositoryService.class);

    private final ImageRepositoryRepository repositories;
    private final OutboxRepository outbox;
    private final ManifestCache cache;
    private final BlobStore store;
    private final Pool sql;

    public RepositoryService(ImageRepositoryRepository repositories, OutboxRepository outbox, ManifestCache cache,
            BlobStore store, Pool sql) {
        this.repositories = repositories;
        this.outbox = outbox;
        this.cache = cache;
        this.store = store;
        this.sql = sql;
    }

    /**
     * Deletes the repository, its tags, manifests, blob links and upload sessions in one transaction with one
     * {@code repository.deleted} event (consumers drop everything they hold of the repository; no event per tag or
     * manifest). Blobs stay in storage for garbage collection. Once committed, the manifest cache forgets the
     * repository's tags and manifests, and the objects of its unfinished uploads are aborted (best effort: a failure
     * leaves an orphan for the stale-upload cleanup).
     */
    public Uni<Void> delete(RepositoryName name, String actor) {
        return sql.withTransaction(tx -> repositories.lockForDelete(tx, name.value()).chain(id -> id == null
                ? Uni.createFrom().<ImageRepositoryRepository.Deleted>failure(RegistryException.nameUnknown(name))
                : repositories.delete(tx, id).call(() -> outbox.append(tx, List.of(
                        RegistryEvent.of(RegistryEvent.REPOSITORY_DELETED, name.value()).withActor(actor))))))
                .call(deleted -> cache.invalidate(name, deleted.tags(), deleted.manifests()))
                .call(deleted -> abortUploads(name, deleted.uploadHandles()))
                .invoke(deleted -> LOG.infof("Repository %s deleted by %s: %d tags, %d manifests, %d unfinished uploads",
                        name, actor == null ? "(no authentication)" : actor, deleted.tags().size(),
                        deleted.manifests().size(), deleted.uploadHandles().size()))
                .replaceWithVoid();
    }

    private Uni<Void> abortUploads(RepositoryName name, List<String> handles) {
        return Multi.createFrom().iterable(handles)
                .onItem().transformToUniAndConcatenate(handle -> Responses.uni(store.abortUpload(handle))
                        .onFailure().recoverWithItem(e -> {
                            LOG.warnf("Repository %s deleted, but its upload object %s could not be aborted: %s", name,
                                    handle, e.getMessage());
                            return null;
                        }))
                .collect().last().replaceWithVoid();
    }
}
