package dev.berth.registry.manifest;

import dev.berth.registry.sql.SqlRows;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Manifests, their references and the tags that name them. Every method takes the {@link SqlClient} of
 * the caller's transaction, or the pool for a statement that is a transaction of its own.
 */
@ApplicationScoped
public class ManifestRepository {

    /** A manifest as a push stores it. {@code requiredBlobs} and {@code blobSizes} go together. */
    public record NewManifest(String repository, String digest, String mediaType, String artifactType,
            String subject, String annotations, byte[] payload, String[] requiredBlobs, Long[] blobSizes,
            String[] children, List<ManifestReference> references, String tag) {
    }

    /**
     * What a push statement did. Unless {@code accepted}, it changed nothing, and {@code linkedBlobs} (the
     * required blobs linked in the repository, with their sizes) and {@code presentChildren} (the child
     * manifests present in it) tell what was missing. {@code accepted && !stored} means a concurrent push
     * created the repository or the manifest after the statement's snapshot: run it again (it changed nothing).
     * Once stored: {@code repositoryCreated} when this push created the repository, {@code tagUpdated} when it
     * created the tag or moved it to this manifest, {@code tagMoved} when the tag named another manifest before.
     */
    public record PushOutcome(boolean accepted, boolean stored, Map<String, Long> linkedBlobs,
            Set<String> presentChildren, boolean repositoryCreated, boolean tagUpdated, boolean tagMoved) {
    }

    /*
     * A push in one statement, so one round trip (its events are appended by the service in the same transaction):
     *   r0  the repository if it exists; rn creates it if missing and the push is accepted; r is whichever of the
     *       two there is
     *   f   the required blobs linked in the repository, blob and link rows locked FOR SHARE: a garbage collection
     *       that deletes either waits for this commit and then sees the manifest (or deleted it before, and the push
     *       is refused; a row deleted while this statement waited for its lock drops out of f)
     *   c   the child manifests present in the repository, locked FOR SHARE likewise (an untagged-manifest collection
     *       deleting a child waits, then sees this index)
     *   v   the verdict: every required blob linked with the size its descriptor says, every child present;
     *       nothing is written unless it holds
     *   e   the manifest if stored already, i inserts it otherwise (with its references: refs); p is either
     *   t   the tag upsert: it moves the tag only to another manifest, and xmax <> 0 on its returned row means the
     *       row existed (ON CONFLICT ... DO UPDATE locked it), i.e. the tag moved and caches must forget its old
     *       value; that holds also when another push created the tag after this statement's snapshot. No row:
     *       the tag named this manifest already
     * Longer than the client's default limit for cached prepared statements: see sql.PoolCreator.
     */
    private static final String PUSH = """
            with r0 as (select id from repository where name = $1),
            f as materialized (select b.digest, b.size from blob b join repository_blob l on l.digest = b.digest \
            and l.repository_id = (select id from r0) where b.digest = any($9::text[]) for share of b, l),
            c as materialized (select digest from manifest where repository_id = (select id from r0) \
            and digest = any($11::text[]) for share),
            v as (select (select count(*) from unnest($9, $10::int8[]) w(d, s) join f on f.digest = w.d and f.size = w.s) \
            = cardinality($9) and (select count(*) from unnest($11) x(d) where d in (select digest from c)) \
            = cardinality($11) as ok),
            rn as (insert into repository (name) select $1 where (select ok from v) and not exists (select from r0) \
            on conflict (name) do nothing returning id),
            r as (select id from r0 union all select id from rn),
            e as (select id from manifest where repository_id = (select id from r0) and digest = $2 and (select ok from v)),
            i as (insert into manifest (repository_id, digest, media_type, artifact_type, subject_digest, annotations, \
            size, payload) select id, $2, $3::text, $4::text, $5::text, $6::text, $7::int8, $8::bytea from r \
            where (select ok from v) and not exists (select from e) on conflict (repository_id, digest) do nothing \
            returning id),
            p as (select id from e union all select id from i),
            refs as (insert into manifest_reference (manifest_id, digest, kind) select i.id, x.d, x.k from i, \
            unnest($12::text[], $13::text[]) x(d, k)),
            t as (insert into tag (repository_id, name, manifest_id) select r.id, $14::text, p.id from r, p \
            where $14 is not null on conflict (repository_id, name) do update set manifest_id = excluded.manifest_id, \
            updated_at = now() where tag.manifest_id <> excluded.manifest_id returning xmax <> 0 as moved)
            select (select ok from v), exists (select from p), (select array_agg(digest) from f), \
            (select array_agg(size) from f), (select array_agg(digest) from c), exists (select from rn), \
            exists (select from t), exists (select from t where moved)
            """;

    /** Stores a pushed manifest, in one statement (see {@code PUSH}). */
    public Uni<PushOutcome> push(SqlClient sql, NewManifest m) {
        String[] refDigests = new String[m.references().size()];
        String[] refKinds = new String[refDigests.length];
        for (int i = 0; i < refDigests.length; i++) {
            refDigests[i] = m.references().get(i).digest();
            refKinds[i] = m.references().get(i).kind();
        }
        Tuple params = Tuple.tuple()
                .addString(m.repository()).addString(m.digest()).addString(m.mediaType()).addString(m.artifactType())
                .addString(m.subject()).addString(m.annotations()).addLong((long) m.payload().length)
                .addBuffer(Buffer.buffer(m.payload()))
                .addArrayOfString(m.requiredBlobs()).addArrayOfLong(m.blobSizes()).addArrayOfString(m.children())
                .addArrayOfString(refDigests).addArrayOfString(refKinds).addString(m.tag());
        return sql.preparedQuery(PUSH).execute(params).map(rows -> {
            Row row = rows.iterator().next();
            Map<String, Long> linked = new HashMap<>();
            String[] digests = row.getArrayOfStrings(2);
            Long[] sizes = row.getArrayOfLongs(3);
            if (digests != null) {
                for (int i = 0; i < digests.length; i++) {
                    linked.put(digests[i], sizes[i]);
                }
            }
            String[] children = row.getArrayOfStrings(4);
            return new PushOutcome(row.getBoolean(0), row.getBoolean(1), linked,
                    children == null ? Set.of() : new HashSet<>(List.of(children)), row.getBoolean(5), row.getBoolean(6),
                    row.getBoolean(7));
        });
    }

    /** What a read found: whether the repository exists, and the manifest if it has it. */
    public record Found(boolean repositoryExists, ManifestContent manifest) {
    }

    /** The manifest {@code digest} of the repository named {@code repository}: one statement. */
    public Uni<Found> findByDigest(SqlClient sql, String repository, String digest) {
        return sql.preparedQuery("select m.digest, m.media_type, m.payload from repository r "
                + "left join manifest m on m.repository_id = r.id and m.digest = $2 where r.name = $1")
                .execute(Tuple.of(repository, digest))
                .map(rows -> found(rows.rowCount() == 0 ? null : rows.iterator().next()));
    }

    /** The manifest that tag {@code tag} of the repository named {@code repository} points at: one statement. */
    public Uni<Found> findByTag(SqlClient sql, String repository, String tag) {
        return sql.preparedQuery("select m.digest, m.media_type, m.payload from repository r "
                + "left join tag t on t.repository_id = r.id and t.name = $2 left join manifest m on m.id = t.manifest_id "
                + "where r.name = $1")
                .execute(Tuple.of(repository, tag))
                .map(rows -> found(rows.rowCount() == 0 ? null : rows.iterator().next()));
    }

    private static Found found(Row row) {
        if (row == null) {
            return new Found(false, null);
        }
        if (row.getString(0) == null) {
            return new Found(true, null);
        }
        return new Found(true, new ManifestContent(row.getString(0), row.getString(1), row.getBuffer(2).getBytes()));
    }

    /** The stored facts of a manifest that its events carry (platforms are not stored: they are a push's). */
    public record Facts(String digest, String mediaType, String artifactType, long size, String subject) {
    }

    /** What a tag delete found: whether the repository exists, and the manifest of the deleted tag (null: no tag). */
    public record TagDeleted(boolean repositoryExists, Facts deleted) {
    }

    /**
     * Deletes a tag: one statement. The manifest is joined inside the delete, so the result names the manifest of
     * the row version deleted: a tag moved by a push that committed after this statement began fails the re-checked
     * join and is not deleted (the caller may try again with a new statement), instead of being deleted while the
     * statement's snapshot names its old manifest.
     */
    public Uni<TagDeleted> deleteTag(SqlClient sql, String repository, String tag) {
        return sql.preparedQuery("with repo as (select id from repository where name = $1), "
                + "deleted as (delete from tag t using repo, manifest m where t.repository_id = repo.id "
                + "and t.name = $2 and m.id = t.manifest_id "
                + "returning m.digest, m.media_type, m.artifact_type, m.size, m.subject_digest) "
                + "select exists (select 1 from repo), d.* from (select 1) one left join deleted d on true")
                .execute(Tuple.of(repository, tag))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    Facts deleted = row.getString(1) == null ? null
                            : new Facts(row.getString(1), row.getString(2), row.getString(3), row.getLong(4),
                                    row.getString(5));
                    return new TagDeleted(row.getBoolean(0), deleted);
                });
    }

    /** A manifest row locked for its deletion. */
    public record Locked(long id, Facts facts) {
    }

    /**
     * The manifest {@code digest} of repository {@code repository}, its row locked until {@code tx} ends,
     * or {@code null}. {@code FOR UPDATE}, so that a concurrent push's foreign-key check on a new tag
     * waits and the tags read after this (by a later statement, with a newer snapshot) are all the tags it
     * has; {@code FOR NO KEY UPDATE} would let that check through.
     */
    public Uni<Locked> lockByDigest(SqlClient tx, String repository, String digest) {
        return tx.preparedQuery("select m.id, m.digest, m.media_type, m.artifact_type, m.size, m.subject_digest "
                + "from manifest m join repository r on r.id = m.repository_id "
                + "where r.name = $1 and m.digest = $2 for update of m")
                .execute(Tuple.of(repository, digest))
                .map(rows -> SqlRows.firstOrNull(rows, row -> new Locked(row.getLong(0), new Facts(row.getString(1),
                        row.getString(2), row.getString(3), row.getLong(4), row.getString(5)))));
    }

    /** Whether the repository named {@code repository} exists, in the transaction of {@code tx}. */
    public Uni<Boolean> repositoryExists(SqlClient tx, String repository) {
        return tx.preparedQuery("select 1 from repository where name = $1").execute(Tuple.of(repository))
                .map(rows -> rows.rowCount() > 0);
    }

    /** The tags pointing at a manifest, in the transaction of {@code tx}. */
    public Uni<List<String>> tagsOf(SqlClient tx, long manifestId) {
        return tx.preparedQuery("select name from tag where manifest_id = $1 order by name")
                .execute(Tuple.of(manifestId))
                .map(SqlRows::strings);
    }

    /** Deletes a manifest; its tags and references go with it (on delete cascade). */
    public Uni<Void> deleteById(SqlClient tx, long id) {
        return tx.preparedQuery("delete from manifest where id = $1").execute(Tuple.of(id)).replaceWithVoid();
    }
}
