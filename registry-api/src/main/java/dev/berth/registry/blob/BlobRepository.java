package dev.berth.registry.blob;

import dev.berth.core.storage.DigestKeyLock;
import dev.berth.registry.sql.SqlRows;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;

/**
 * Blobs and their links to repositories. Every method takes the {@link SqlClient} of the caller's
 * transaction, or the pool for a statement that is a transaction of its own.
 */
@ApplicationScoped
public class BlobRepository {

    /**
     * The blob if it is linked in the repository named {@code repository}, else {@code null}; with whether its link
     * was last touched longer than {@code touchIntervalMillis} ago (see {@link #touch}).
     */
    public Uni<Linked> findLinked(SqlClient sql, String repository, String digest, long touchIntervalMillis) {
        return sql.preparedQuery("select b.digest, b.size, b.storage_key, l.id, "
                + "l.last_touched_at < now() - $3::int8 * interval '1 millisecond' from blob b "
                + "join repository_blob l on l.digest = b.digest join repository r on r.id = l.repository_id "
                + "where b.digest = $1 and r.name = $2")
                .execute(Tuple.of(digest, repository, touchIntervalMillis))
                .map(rows -> SqlRows.firstOrNull(rows, row -> new Linked(blob(row), row.getLong(3), row.getBoolean(4))));
    }

    /** A blob as linked in a repository: the link's id, and whether the link is due for a {@link #touch}. */
    public record Linked(Blob blob, long linkId, boolean touchDue) {
    }

    /**
     * Marks the link and its blob as used now, so garbage collection keeps them for its grace period (a client
     * that found the blob by {@code HEAD} pushes a manifest naming it next). The blob row first, then the link
     * (the update of the link needs the blob's row from {@code b}): the order in which a manifest push locks
     * them, so the two never deadlock.
     */
    public Uni<Void> touch(SqlClient sql, String digest, long linkId) {
        return sql.preparedQuery("with b as (update blob set last_touched_at = now() where digest = $1 returning digest) "
                + "update repository_blob l set last_touched_at = now() from b where l.id = $2 and l.digest = b.digest")
                .execute(Tuple.of(digest, linkId))
                .replaceWithVoid();
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
     * appended by the caller in the same transaction). A link that exists already is touched
     * ({@code last_touched_at}): the client mounts because it is about to push a manifest naming the blob.
     *
     * <p>{@code available && !linked} means another replica created the target repository after this
     * statement's snapshot was taken (its insert found the row, its select could not see it): run it again; it
     * changed nothing. The blob row is not touched: the link keeps it from garbage collection, and a touch would
     * make concurrent mounts of one blob (a base image's layers) queue on its row lock. A blob row that garbage
     * collection deleted after this statement's snapshot fails the link's foreign key (23503): nothing to mount.
     */
    public Uni<Mount> mount(SqlClient sql, String target, String digest, String from) {
        // xmax = 0: the link row was inserted by this statement, not an existing one updated (touched)
        return sql.preparedQuery("with source as (select b.digest, b.size from blob b where b.digest = $2 "
                + "and ($3::text is null or exists (select 1 from repository_blob l join repository r "
                + "on r.id = l.repository_id where l.digest = b.digest and r.name = $3))), "
                + "existing as (select id from repository where name = $1), "
                + "created as (insert into repository (name) select $1 from source "
                + "where not exists (select 1 from existing) on conflict (name) do nothing returning id), "
                + "target as (select id from existing union all select id from created), "
                + "linked as (insert into repository_blob (repository_id, digest) select t.id, s.digest "
                + "from target t, source s on conflict (repository_id, digest) do update set last_touched_at = now() "
                + "returning xmax = 0 as inserted) "
                + "select (select size from source), exists (select 1 from target), exists (select 1 from created), "
                + "exists (select 1 from linked where inserted)")
                .execute(Tuple.of(target, digest, from))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    Long size = row.getLong(0);
                    return new Mount(size != null, row.getBoolean(1), row.getBoolean(2), row.getBoolean(3),
                            size == null ? 0 : size);
                });
    }

    /**
     * Locks the digest's key, and its blob's row if there is one, until the transaction ends: taken by an upload
     * commit before its object takes the blob's place in storage (on a store whose uploads of a digest share one
     * key). A garbage collection deleting the row is waited for (after it, the row is gone and its object is in
     * {@code gc_pending_object}); one that comes later skips the locked row. The row lock is the one
     * {@link #recordUpload} takes anyway: a weaker one ({@code FOR SHARE}) would make two concurrent uploads of one
     * digest deadlock when each then updates the row. The advisory lock ({@link DigestKeyLock}) covers the digest
     * when it has no row: a collector that deletes a storage object no row names (an orphan) takes it too and
     * re-checks under it, so it cannot delete the object of an upload committing meanwhile.
     */
    public Uni<Void> lockForUpload(SqlClient sql, String digest) {
        Tuple params = Tuple.of(digest);
        return Uni.combine().all().unis(
                sql.preparedQuery(DigestKeyLock.SQL).execute(params),
                sql.preparedQuery("select 1 from blob where digest = $1 for no key update").execute(params))
                .discardItems();
    }

    /**
     * Takes over the deletion of the digest's storage objects that garbage collection queued: removes their
     * {@code gc_pending_object} rows (until the transaction ends; a collector deleting one of them is waited for)
     * and returns their keys, for the caller to delete before it commits.
     */
    public Uni<List<String>> claimPendingObjects(SqlClient sql, String digest) {
        return sql.preparedQuery("delete from gc_pending_object where digest = $1 returning storage_key")
                .execute(Tuple.of(digest)).map(SqlRows::strings);
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
