package dev.berth.registry.tag;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

@ApplicationScoped
public class TagRepository implements PanacheRepositoryBase<RepositoryTag, Long> {

    /** Points the tag at the manifest, creating or moving it (last writer wins). */
    public Uni<Integer> upsert(long repositoryId, String tag, long manifestId) {
        return getSession().chain(s -> s.createNativeQuery(
                "insert into tag (repository_id, name, manifest_id) values (:repo, :name, :manifest) "
                        + "on conflict (repository_id, name) do update set manifest_id = excluded.manifest_id, "
                        + "updated_at = now()")
                .setParameter("repo", repositoryId).setParameter("name", tag).setParameter("manifest", manifestId)
                .executeUpdate());
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
