package dev.berth.registry.cache;

import dev.berth.core.name.Reference;
import dev.berth.core.name.RepositoryName;
import dev.berth.registry.manifest.ManifestContent;
import dev.berth.registry.manifest.ManifestStore;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.decorator.Decorator;
import jakarta.decorator.Delegate;
import jakarta.inject.Inject;
import java.util.List;

/**
 * The manifest cache in front of the manifest store (a CDI decorator of {@link ManifestStore}): reads are
 * answered from the cache when it holds them and cached after a read from PostgreSQL; writes invalidate
 * what they changed once the wrapped store has committed them, before the request is answered. The
 * consistency rules are {@link ManifestCache}'s.
 */
@Decorator
@Priority(10)
public class CachingManifestStore implements ManifestStore {
    private final ManifestStore store;
    private final ManifestCache cache;

    @Inject
    public CachingManifestStore(@Delegate ManifestStore store, ManifestCache cache) {
        this.store = store;
        this.cache = cache;
    }

    @Override
    public Uni<ManifestContent> get(RepositoryName name, Reference reference) {
        Uni<ManifestContent> cached = reference instanceof Reference.ByTag t
                ? cache.tag(name, t.tag().value()).chain(digest -> digest == null
                        ? Uni.createFrom().nullItem()
                        : cache.manifest(name, digest))
                : cache.manifest(name, reference.toString());
        return cached.chain(hit -> hit != null ? Uni.createFrom().item(hit) : read(name, reference));
    }

    private Uni<ManifestContent> read(RepositoryName name, Reference reference) {
        long readStarted = cache.readStarts();
        String tag = reference instanceof Reference.ByTag t ? t.tag().value() : null;
        return store.get(name, reference).call(content -> cache.populate(name, tag, content, readStarted));
    }

    @Override
    public Uni<Pushed> put(RepositoryName name, Reference reference, String contentType, byte[] body, String actor) {
        // committed: a moved tag must not be served with its old manifest from here on, on any replica
        return store.put(name, reference, contentType, body, actor).call(pushed -> pushed.movedTag() == null
                ? Uni.createFrom().voidItem()
                : cache.invalidate(name, List.of(pushed.movedTag()), List.of()));
    }

    @Override
    public Uni<Deleted> delete(RepositoryName name, Reference reference, String actor) {
        // committed: no replica may serve the deleted tags or manifest from the cache from now on
        return store.delete(name, reference, actor).call(deleted -> cache.invalidate(name, deleted.tags(), deleted.digests()));
    }
}
