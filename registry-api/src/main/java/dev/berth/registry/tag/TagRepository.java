package dev.berth.registry.tag;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.List;

@ApplicationScoped
public class TagRepository implements PanacheRepositoryBase<RepositoryTag, Long> {

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

    /** Tag names in byte order after {@code last}, at most {@code limit}. */
    public Uni<List<String>> namesAfter(long repositoryId, String last, int limit) {
        return getSession().chain(s -> s.createNativeQuery(
                "select name from tag where repository_id = :repo and name collate \"C\" > :last "
                        + "order by name collate \"C\" limit :limit", String.class)
                .setParameter("repo", repositoryId).setParameter("last", last == null ? "" : last)
                .setParameter("limit", limit).getResultList());
    }

    public Uni<List<String>> namesOf(long manifestId) {
        return getSession().chain(s -> s.createSelectionQuery(
                "select t.name from RepositoryTag t where t.manifestId = :m", String.class)
                .setParameter("m", manifestId).getResultList());
    }

    public Uni<Long> deleteTag(long repositoryId, String tag) {
        return delete("repositoryId = ?1 and name = ?2", repositoryId, tag);
    }
}
