package dev.berth.registry.manifest;

import dev.berth.core.event.RegistryEvent;
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
     * created the repository or the manifest after the statement's snapshot: run it again.
     */
    public record PushOutcome(boolean accepted, boolean stored, Map<String, Long> linkedBlobs,
            Set<String> presentChildren, boolean tagMoved) {
    }

    /*
     * A push in one statement, so one round trip and one transaction: the repository (created with its
     * repository.created event if missing), the required blobs locked FOR SHARE (a garbage collection that
     * deletes one waits for this commit and then sees the manifest, or deleted it before and the push is
     * refused), the child manifests, the manifest with its references, the tag, and the outbox rows. The
     * writes happen only if every required blob is linked with the size its descriptor says and every
     * child manifest is present ("verdict").
     *
     * The tag's upsert moves it only to another manifest; xmax <> 0 on its returned row means the row
     * existed (ON CONFLICT ... DO UPDATE locked it), i.e. the tag moved and caches must forget its old
     * value. That holds also when another push created the tag after this statement's snapshot.
     */
    private static final String PUSH = "with repo_old as (select id from repository where name = $1), "
            + "wanted as (select w.digest, w.size from unnest($9::text[], $10::int8[]) as w(digest, size)), "
            + "found as materialized (select b.digest, b.size from blob b where b.digest = any($9::text[]) "
            + "and exists (select 1 from repository_blob l where l.digest = b.digest "
            + "and l.repository_id = (select id from repo_old)) for share of b), "
            + "children as (select m.digest from manifest m where m.repository_id = (select id from repo_old) "
            + "and m.digest = any($11::text[])), "
            + "verdict as (select not exists (select 1 from wanted w left join found f on f.digest = w.digest "
            + "where f.digest is null or f.size <> w.size) and not exists (select 1 from unnest($11::text[]) c(digest) "
            + "where c.digest not in (select digest from children)) as ok), "
            + "repo_new as (insert into repository (name) select $1::text where (select ok from verdict) "
            + "and not exists (select 1 from repo_old) on conflict (name) do nothing returning id), "
            + "repo as (select id from repo_old union all select id from repo_new), "
            + "existing as (select id from manifest where repository_id = (select id from repo_old) and digest = $2 "
            + "and (select ok from verdict)), "
            + "inserted as (insert into manifest (repository_id, digest, media_type, artifact_type, subject_digest, "
            + "annotations, size, payload) select r.id, $2::text, $3::text, $4::text, $5::text, $6::text, $7::int8, "
            + "$8::bytea from repo r where (select ok from verdict) and not exists (select 1 from existing) "
            + "on conflict (repository_id, digest) do nothing returning id), "
            + "pushed as (select id from existing union all select id from inserted), "
            + "refs as (insert into manifest_reference (manifest_id, digest, kind) select i.id, x.digest, x.kind "
            + "from inserted i, unnest($12::text[], $13::text[]) as x(digest, kind)), "
            + "tagged as (insert into tag (repository_id, name, manifest_id) select r.id, $14::text, p.id "
            + "from repo r, pushed p where $14::text is not null on conflict (repository_id, name) do update "
            + "set manifest_id = excluded.manifest_id, updated_at = now() where tag.manifest_id <> excluded.manifest_id "
            + "returning xmax <> 0 as moved), "
            + "events as (insert into outbox (event_type, repository, digest, tag, media_type) "
            + "select e.type, $1::text, e.digest, e.tag, e.media_type from ("
            + "select 1 as ord, '" + RegistryEvent.REPOSITORY_CREATED + "'::text as type, null::text as digest, "
            + "null::text as tag, null::text as media_type from repo_new "
            + "union all select 2, '" + RegistryEvent.MANIFEST_PUSHED + "', $2::text, null, $3::text from inserted "
            + "union all select 3, '" + RegistryEvent.TAG_UPDATED + "', $2::text, $14::text, $3::text from pushed "
            + "where $14::text is not null) e order by e.ord) "
            + "select (select ok from verdict), exists (select 1 from pushed), (select array_agg(digest) from found), "
            + "(select array_agg(size) from found), (select array_agg(digest) from children), "
            + "coalesce((select bool_or(moved) from tagged), false)";

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
                    children == null ? Set.of() : new HashSet<>(List.of(children)), row.getBoolean(5));
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

    /** What a tag delete found: whether the repository exists and whether it had the tag. */
    public record TagDeleted(boolean repositoryExists, boolean deleted) {
    }

    /** Deletes a tag with its {@code tag.deleted} event: one statement. */
    public Uni<TagDeleted> deleteTag(SqlClient sql, String repository, String tag) {
        return sql.preparedQuery("with repo as (select id from repository where name = $1), "
                + "deleted as (delete from tag t using repo where t.repository_id = repo.id and t.name = $2 "
                + "returning t.manifest_id), "
                + "event as (insert into outbox (event_type, repository, digest, tag, media_type) select '"
                + RegistryEvent.TAG_DELETED + "', $1::text, m.digest, $2::text, m.media_type "
                + "from deleted d join manifest m on m.id = d.manifest_id) "
                + "select exists (select 1 from repo), exists (select 1 from deleted)")
                .execute(Tuple.of(repository, tag))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return new TagDeleted(row.getBoolean(0), row.getBoolean(1));
                });
    }

    /** A manifest row locked for its deletion. */
    public record Locked(long id, String mediaType) {
    }

    /**
     * The manifest {@code digest} of repository {@code repository}, its row locked until {@code tx} ends,
     * or {@code null}. {@code FOR UPDATE}, so that a concurrent push's foreign-key check on a new tag
     * waits and the tags read after this (by a later statement, with a newer snapshot) are all the tags it
     * has; {@code FOR NO KEY UPDATE} would let that check through.
     */
    public Uni<Locked> lockByDigest(SqlClient tx, String repository, String digest) {
        return tx.preparedQuery("select m.id, m.media_type from manifest m join repository r on r.id = m.repository_id "
                + "where r.name = $1 and m.digest = $2 for update of m")
                .execute(Tuple.of(repository, digest))
                .map(rows -> SqlRows.firstOrNull(rows, row -> new Locked(row.getLong(0), row.getString(1))));
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
