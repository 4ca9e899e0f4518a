package dev.berth.registry.manifest;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;

@ApplicationScoped
public class ManifestRepository implements PanacheRepositoryBase<Manifest, Long> {

    public Uni<Manifest> findByDigest(long repositoryId, String digest) {
        return find("repositoryId = ?1 and digest = ?2", repositoryId, digest).firstResult();
    }

    public Uni<Manifest> findByTag(long repositoryId, String tag) {
        return find("select m from Manifest m, RepositoryTag t where t.manifestId = m.id and t.repositoryId = ?1 "
                + "and t.name = ?2", repositoryId, tag).firstResult();
    }

    /**
     * Locks the manifest row until the transaction ends: a concurrent push cannot point a new tag at it
     * meanwhile (its foreign-key check waits), so the tags read after this are all the tags it has.
     */
    public Uni<Void> lock(long manifestId) {
        return getSession().chain(s -> s.createNativeQuery("select id from manifest where id = :id for update", Long.class)
                .setParameter("id", manifestId).getResultList()).replaceWithVoid();
    }

    /** Of the given digests, those that are manifests of the repository. */
    public Uni<List<String>> existingDigests(long repositoryId, Collection<String> digests) {
        if (digests.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return getSession().chain(s -> s.createSelectionQuery(
                "select m.digest from Manifest m where m.repositoryId = :repo and m.digest in (:digests)", String.class)
                .setParameter("repo", repositoryId).setParameter("digests", digests).getResultList());
    }

    /** Manifests of the repository whose subject is {@code digest}, optionally of one artifact type. */
    public Uni<List<Manifest>> referrers(long repositoryId, String digest, String artifactType) {
        if (artifactType == null) {
            return list("repositoryId = ?1 and subjectDigest = ?2 order by id", repositoryId, digest);
        }
        return list("repositoryId = ?1 and subjectDigest = ?2 and artifactType = ?3 order by id", repositoryId, digest,
                artifactType);
    }
}
