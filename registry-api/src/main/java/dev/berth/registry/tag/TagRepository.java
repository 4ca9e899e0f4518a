package dev.berth.registry.tag;

import dev.berth.registry.sql.SqlRows;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.List;

@ApplicationScoped
public class TagRepository implements PanacheRepositoryBase<RepositoryTag, Long> {
    private final Pool sql;

    public TagRepository(Pool sql) {
        this.sql = sql;
    }

    /**
     * Points the tag at the manifest, creating or moving it (last writer wins), and tells whether an existing
     * tag now names another manifest: only then can a cache hold its old value. The tag row stays locked until
     * the transaction ends, so of two concurrent pushes the second sees the first's value.
     */
    public Uni<Boolean> point(long repositoryId, String tag, long manifestId) {
        return point(repositoryId, tag, manifestId, 0);
    }

    private Uni<Boolean> point(long repositoryId, String tag, long manifestId, int attempt) {
        return lockedManifestId(repositoryId, tag).chain(old -> old != null
                ? repoint(repositoryId, tag, manifestId, old)
                : getSession().chain(s -> s.createNativeQuery(
                        "insert into tag (repository_id, name, manifest_id) values (:repo, :name, :manifest) "
                                + "on conflict (repository_id, name) do nothing")
                        .setParameter("repo", repositoryId).setParameter("name", tag)
                        .setParameter("manifest", manifestId).executeUpdate())
                        .chain(inserted -> {
                            if (inserted > 0) {
                                return Uni.createFrom().item(false);
                            }
                            // created concurrently (and committed: the insert waited for it); lock it and move it
                            if (attempt >= 3) {
                                return Uni.createFrom().failure(new IllegalStateException(
                                        "tag " + tag + " keeps appearing and disappearing under concurrent pushes"));
                            }
                            return point(repositoryId, tag, manifestId, attempt + 1);
                        }));
    }

    /** HQL, not a native select, on this hot path: see BlobRepository#lockLinked. */
    private Uni<Long> lockedManifestId(long repositoryId, String tag) {
        return getSession().chain(s -> s.createSelectionQuery(
                "from RepositoryTag t where t.repositoryId = :repo and t.name = :name", RepositoryTag.class)
                .setParameter("repo", repositoryId).setParameter("name", tag)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList())
                .map(rows -> rows.isEmpty() ? null : rows.get(0).manifestId);
    }

    private Uni<Boolean> repoint(long repositoryId, String tag, long manifestId, long old) {
        return getSession().chain(s -> s.createNativeQuery(
                "update tag set manifest_id = :manifest, updated_at = now() where repository_id = :repo and name = :name")
                .setParameter("repo", repositoryId).setParameter("name", tag).setParameter("manifest", manifestId)
                .executeUpdate())
                .map(updated -> old != manifestId);
    }

    /**
     * Tag names in byte order after {@code last}, at most {@code limit}: on the reactive SQL client, as a
     * native select through Hibernate would add a query plan per call (see BlobRepository#lockLinked).
     */
    public Uni<List<String>> namesAfter(long repositoryId, String last, int limit) {
        return sql.preparedQuery("select name from tag where repository_id = $1 and name collate \"C\" > $2 "
                + "order by name collate \"C\" limit $3")
                .execute(Tuple.of(repositoryId, last == null ? "" : last, limit))
                .map(SqlRows::strings);
    }

    /** The tags pointing at a manifest, in the transaction of {@code tx}. */
    public Uni<List<String>> namesOf(SqlClient tx, long manifestId) {
        return tx.preparedQuery("select name from tag where manifest_id = $1 order by name")
                .execute(Tuple.of(manifestId))
                .map(SqlRows::strings);
    }

    public Uni<Long> deleteTag(long repositoryId, String tag) {
        return delete("repositoryId = ?1 and name = ?2", repositoryId, tag);
    }
}
