package dev.berth.registry.blob;

import dev.berth.registry.sql.SqlRows;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/** Blobs and their links to repositories. */
@ApplicationScoped
public class BlobRepository implements PanacheRepositoryBase<Blob, String> {

    /**
     * The blob if it is linked in the repository named {@code repository}, else {@code null}: one
     * statement on the reactive SQL client (a blob {@code HEAD} is one request in four of a push). The
     * result carries digest, size and storage key only.
     */
    public Uni<Blob> findLinked(SqlClient sql, String repository, String digest) {
        return sql.preparedQuery("select b.digest, b.size, b.storage_key from blob b "
                + "join repository_blob l on l.digest = b.digest join repository r on r.id = l.repository_id "
                + "where b.digest = $1 and r.name = $2")
                .execute(Tuple.of(digest, repository))
                .map(rows -> SqlRows.firstOrNull(rows, row -> {
                    Blob blob = new Blob();
                    blob.digest = row.getString("digest");
                    blob.size = row.getLong("size");
                    blob.storageKey = row.getString("storage_key");
                    return blob;
                }));
    }

    /**
     * Records a committed upload in one statement on the reactive SQL client: the blob row (or, if the
     * digest is stored already, a touch of it), its link into the repository, and the end of the upload
     * session. Returns the storage key recorded for the blob: this upload's object, or the one stored
     * before (then this upload's object is a second copy to delete).
     */
    public Uni<String> recordUpload(SqlClient sql, String digest, long size, String storageKey, long repositoryId,
            UUID uploadId) {
        return sql.preparedQuery("with recorded as ("
                + "insert into blob (digest, size, storage_key) values ($1, $2, $3) "
                + "on conflict (digest) do update set last_touched_at = now() returning storage_key), "
                + "linked as (insert into repository_blob (repository_id, digest) values ($4, $1) "
                + "on conflict (repository_id, digest) do nothing), "
                + "finished as (delete from upload_session where id = $5) "
                + "select storage_key from recorded")
                .execute(Tuple.of(digest, size, storageKey, repositoryId, uploadId))
                .map(rows -> rows.iterator().next().getString(0));
    }

    /** The blob if it is linked in the repository, else {@code null}. */
    public Uni<Blob> findLinked(long repositoryId, String digest) {
        return find("select b from Blob b where b.digest = ?1 and exists "
                + "(select 1 from RepositoryBlob l where l.digest = b.digest and l.repositoryId = ?2)", digest,
                repositoryId).firstResult();
    }

    /**
     * Of the given digests, those linked in the repository, with their blob rows locked against a
     * concurrent sweep until the transaction ends ({@code for share}).
     *
     * <p>HQL with a lock mode (same SQL), like the rest of the Hibernate request path: Hibernate ORM 7.2 /
     * Hibernate Reactive 3.2 cache a new query plan for every native select with single-valued parameters
     * they execute (the plan's key holds a result mapping that never equals the next call's, whatever the
     * mapping: typed, entity, untyped or a named {@code @SqlResultSetMapping}), so such a select on a busy
     * path fills the plan cache within a few thousand requests; then every look-up scans thousands of
     * same-hash keys and the HQL plans are evicted. (A native select with a list parameter, as this one was,
     * is never cached, so it did not leak.) Native statements without results ({@code executeUpdate}) are
     * cached once and are fine. {@code QueryPlanCacheTest} checks that pushes add no plans.
     */
    public Uni<List<Blob>> lockLinked(long repositoryId, Collection<String> digests) {
        if (digests.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return getSession().chain(s -> s.createSelectionQuery("from Blob b where b.digest in :digests and exists "
                + "(select 1 from RepositoryBlob l where l.digest = b.digest and l.repositoryId = :repo)", Blob.class)
                .setParameter("digests", digests).setParameter("repo", repositoryId)
                .setLockMode(LockModeType.PESSIMISTIC_READ).getResultList());
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
