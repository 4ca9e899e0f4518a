package dev.berth.registry.blob;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.List;

/** Blobs and their links to repositories. */
@ApplicationScoped
public class BlobRepository implements PanacheRepositoryBase<Blob, String> {

    /** The blob if it is linked in the repository, else {@code null}. */
    public Uni<Blob> findLinked(long repositoryId, String digest) {
        return find("select b from Blob b where b.digest = ?1 and exists "
                + "(select 1 from RepositoryBlob l where l.digest = b.digest and l.repositoryId = ?2)", digest,
                repositoryId).firstResult();
    }

    /**
     * Of the given digests, those linked in the repository, with their blob rows locked against a
     * concurrent sweep until the transaction ends.
     */
    public Uni<List<Blob>> lockLinked(long repositoryId, Collection<String> digests) {
        if (digests.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return getSession().chain(s -> s.createNativeQuery(
                "select b.* from blob b where b.digest in (:digests) and exists (select 1 from repository_blob l "
                        + "where l.digest = b.digest and l.repository_id = :repo) for share of b",
                Blob.class).setParameter("digests", digests).setParameter("repo", repositoryId).getResultList());
    }

    /** Records a committed blob; if it exists already (same digest, same bytes) only touches it. */
    public Uni<Integer> upsert(String digest, long size, String storageKey) {
        return getSession().chain(s -> s.createNativeQuery(
                "insert into blob (digest, size, storage_key) values (:digest, :size, :key) "
                        + "on conflict (digest) do update set last_touched_at = now()")
                .setParameter("digest", digest).setParameter("size", size).setParameter("key", storageKey)
                .executeUpdate());
    }

    /**
     * The storage key recorded for the blob. Read after {@link #upsert} in the same transaction, it tells
     * whether this upload's object became the blob or the blob was stored before under another key.
     */
    public Uni<String> storageKeyOf(String digest) {
        return getSession().chain(s -> s.createSelectionQuery("select b.storageKey from Blob b where b.digest = :digest",
                String.class).setParameter("digest", digest).getSingleResultOrNull());
    }

    /** Links a blob into a repository; linking twice is harmless. */
    public Uni<Integer> link(long repositoryId, String digest) {
        return getSession().chain(s -> s.createNativeQuery(
                "insert into repository_blob (repository_id, digest) values (:repo, :digest) "
                        + "on conflict (repository_id, digest) do nothing")
                .setParameter("repo", repositoryId).setParameter("digest", digest).executeUpdate());
    }

    public Uni<Long> unlink(long repositoryId, String digest) {
        return getSession().chain(s -> s.createNativeQuery(
                "delete from repository_blob where repository_id = :repo and digest = :digest")
                .setParameter("repo", repositoryId).setParameter("digest", digest).executeUpdate())
                .map(Integer::longValue);
    }
}
