package dev.berth.registry.manifest;

import dev.berth.core.digest.Digest;
import dev.berth.core.name.Reference;
import dev.berth.core.name.RepositoryName;
import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * Pushing, reading and deleting manifests, as {@link ManifestResource} sees it. {@link ManifestService}
 * keeps them in PostgreSQL; the manifest cache (cache.CachingManifestStore) decorates it, answering reads
 * it holds and invalidating what a write changed once the write has committed. The results tell the
 * decorator what changed, so this package knows nothing of the cache.
 */
public interface ManifestStore {

    /** The manifest a tag or digest names, or {@code NAME_UNKNOWN}/{@code MANIFEST_UNKNOWN}. */
    Uni<ManifestContent> get(RepositoryName name, Reference reference);

    /**
     * Stores a manifest under a tag or its digest, with its events; the returned item means it has committed.
     * {@code actor}: the subject recorded in the events (null without authentication).
     */
    Uni<Pushed> put(RepositoryName name, Reference reference, String contentType, byte[] body, String actor);

    /** Deletes by tag (only the tag goes) or by digest (the manifest and every tag pointing at it), with events. */
    Uni<Deleted> delete(RepositoryName name, Reference reference, String actor);

    /**
     * What a successful push tells the client, and {@code movedTag}: the tag that named another manifest
     * before this push (then caches must forget it), else null.
     */
    record Pushed(Digest digest, String subject, String movedTag) {
    }

    /** What a committed delete removed: tags and manifest digests. */
    record Deleted(List<String> tags, List<String> digests) {
    }
}
