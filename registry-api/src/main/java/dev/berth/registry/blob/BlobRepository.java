package dev.berth.registry.blob;

import dev.berth.registry.sql.SqlRows;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * Blobs and their links to repositories. Every method takes the {@link SqlClient} of the caller's
 * transaction, or the pool for a statement that is a transaction of its own.
 */
@ApplicationScoped
public class BlobRepository {

    /** The blob if it is linked in the repository named {@code repository}, else {@code null}. */
    public Uni<Blob> findLinked(SqlClient sql, String repository, String digest) {
        return sql.preparedQuery("select b.digest, b.size, b.storage_key from blob b "
                + "join repository_blob l on l.digest = b.digest join repository r on r.id = l.repository_id "
                + "where b.digest = $1 and r.name = $2")
                .execute(Tuple.of(digest, repository))
                .map(rows -> SqlRows.firstOrNull(rows, BlobRepository::blob));
    }

    /**
     * Records a committed upload in one statement: the blob row (or, if the digest is stored already, a
     * touch of it), its link into the repository, and the end of the upload session. Returns the storage
     * key recorded for the blob: this upload's object, or the one stored before (then this upload's object
     * is a second copy to delete).
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

    /**
     * What a mount found and did: whether there was a blob to mount (its {@code size}), whether the target repository
     * was there, whether this statement created it, and whether it newly linked the blob there.
     */
    public record Mount(boolean available, boolean linked, boolean repositoryCreated, boolean newlyLinked, long size) {
    }

    /**
     * Links blob {@code digest} into repository {@code target} if it is linked in {@code from} (or, with
     * {@code from} null, stored at all), creating the target repository when missing: one statement (its events are
     * appended by the caller in the same transaction).
     *
     * <p>{@code available && !linked} means another replica created the target repository after this
     * statement's snapshot was taken (its insert found the row, its select could not see it): run it again; it
     * changed nothing. The blob row is not touched: the link keeps it from garbage collection, and a touch would
     * make concurrent mounts of one blob (a base image's layers) queue on its row lock.
     */
    public Uni<Mount> mount(SqlClient sql, String target, String digest, String from) {
        return sql.preparedQuery("with source as (select b.digest, b.size from blob b where b.digest = $2 "
                + "and ($3::text is null or exists (select 1 from repository_blob l join repository r "
                + "on r.id = l.repository_id where l.digest = b.digest and r.name = $3))), "
                + "existing as (select id from repository where name = $1), "
                + "created as (insert into repository (name) select $1 from source "
                + "where not exists (select 1 from existing) on conflict (name) do nothing returning id), "
                + "target as (select id from existing union all select id from created), "
                + "linked as (insert into repository_blob (repository_id, digest) select t.id, s.digest "
                + "from target t, source s on conflict (repository_id, digest) do nothing returning 1) "
                + "select (select size from source), exists (select 1 from target), exists (select 1 from created), "
                + "exists (select 1 from linked)")
                .execute(Tuple.of(target, digest, from))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    Long size = row.getLong(0);
                    return new Mount(size != null, row.getBoolean(1), row.getBoolean(2), row.getBoolean(3),
                            size == null ? 0 : size);
                });
    }

    /** Removes the blob's link from the repository named {@code repository}; its size, or null when there was none. */
    public Uni<Long> unlink(SqlClient sql, String repository, String digest) {
        return sql.preparedQuery("delete from repository_blob l using repository r, blob b "
                + "where r.id = l.repository_id and r.name = $1 and l.digest = $2 and b.digest = l.digest "
                + "returning b.size")
                .execute(Tuple.of(repository, digest))
                .map(rows -> SqlRows.firstOrNull(rows, row -> row.getLong(0)));
    }

    private static Blob blob(Row row) {
        return new Blob(row.getString("digest"), row.getLong("size"), row.getString("storage_key"));
    }
}
