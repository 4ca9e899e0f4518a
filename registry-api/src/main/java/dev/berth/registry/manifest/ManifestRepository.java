package dev.berth.registry.manifest;

import dev.berth.registry.sql.SqlRows;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
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

    /** A manifest row locked for its deletion. */
    public record Locked(long id, String mediaType) {
    }

    /**
     * The manifest {@code digest} of repository {@code repository}, its row locked until {@code tx} ends,
     * or {@code null}. {@code FOR UPDATE}, so that a concurrent push's foreign-key check on a new tag
     * waits and the tags read after this are all the tags it has; on the SQL client because HQL's
     * PESSIMISTIC_WRITE is only {@code FOR NO KEY UPDATE} on PostgreSQL (which lets that check through),
     * and a native select through Hibernate adds a query plan per call (see BlobRepository#lockLinked).
     */
    public Uni<Locked> lockByDigest(SqlClient tx, String repository, String digest) {
        return tx.preparedQuery("select m.id, m.media_type from manifest m join repository r on r.id = m.repository_id "
                + "where r.name = $1 and m.digest = $2 for update of m")
                .execute(Tuple.of(repository, digest))
                .map(rows -> SqlRows.firstOrNull(rows, row -> new Locked(row.getLong(0), row.getString(1))));
    }

    /** Deletes a manifest; its tags and references go with it (on delete cascade). */
    public Uni<Void> deleteById(SqlClient tx, long id) {
        return tx.preparedQuery("delete from manifest where id = $1").execute(Tuple.of(id)).replaceWithVoid();
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
