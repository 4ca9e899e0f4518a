package dev.berth.registry.upload;

import dev.berth.registry.error.OciError;
import dev.berth.registry.error.RegistryException;
import dev.berth.registry.sql.SqlRows;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.UUID;

/**
 * Upload sessions; writers take the row lock so that one chunk at a time lands on an upload.
 *
 * <p>Plain SQL on the reactive PostgreSQL client rather than Hibernate: an upload is three or four
 * requests of a few statements each, and Hibernate Reactive's session, persistence context and query
 * plumbing were half of the event loop's CPU per small upload (JFR, 64 KiB layers). Each method takes
 * the {@link SqlClient} of the caller's transaction, or the pool for a statement of its own.
 */
@ApplicationScoped
public class UploadSessionRepository {
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    private static final String COLUMNS = "s.id, s.repository_id, s.storage_handle, s.committed_size, s.hash_state, "
            + "s.created_at, s.updated_at";

    /**
     * Inserts a new session into the repository named {@code repository}. Returns false, inserting
     * nothing, when that repository does not exist; fills in the session's repository id otherwise.
     */
    public Uni<Boolean> insertInto(SqlClient sql, String repository, UploadSession session) {
        return sql.preparedQuery("insert into upload_session (id, repository_id, storage_handle, committed_size, "
                + "hash_state, created_at, updated_at) select $1, r.id, $3, $4, $5, $6, $6 from repository r "
                + "where r.name = $2 returning repository_id")
                .execute(Tuple.of(session.id, repository, session.storageHandle, session.committedSize,
                        session.hashState, session.createdAt))
                .map(rows -> {
                    if (rows.rowCount() == 0) {
                        return false;
                    }
                    session.repositoryId = rows.iterator().next().getLong(0);
                    return true;
                });
    }

    /** The session if it belongs to the repository named {@code repository}, else {@code null}. */
    public Uni<UploadSession> findOwned(SqlClient sql, String repository, UUID id) {
        return sql.preparedQuery("select " + COLUMNS + " from upload_session s join repository r on r.id = s.repository_id "
                + "where s.id = $1 and r.name = $2")
                .execute(Tuple.of(id, repository)).map(rows -> SqlRows.firstOrNull(rows, UploadSessionRepository::session));
    }

    /**
     * Locks the session row for the rest of the transaction, if it belongs to the repository named
     * {@code repository}; else {@code null}. With a zero {@code wait} it does not wait at all; else it
     * waits at most that long for the request holding it. Either way a busy upload fails with {@link Busy}.
     * The lock dies with the database connection, so a replica killed mid-chunk never blocks the upload's
     * next request.
     */
    public Uni<UploadSession> lockOwned(SqlClient sql, String repository, UUID id, Duration wait) {
        Uni<UploadSession> locked;
        if (wait.isZero() || wait.isNegative()) {
            locked = select(sql, repository, id, " for update of s nowait");
        } else {
            // lock_timeout (this transaction only) fails the wait with the same lock_not_available as NOWAIT; it is
            // set back after the lock, so that it does not bound the waits of the transaction's later statements
            // (an upload commit waits for a garbage collection that holds the blob's row)
            locked = sql.preparedQuery("select before, set_config('lock_timeout', $1, true) "
                    + "from (select current_setting('lock_timeout') as before) s")
                    .execute(Tuple.of(Math.max(1, wait.toMillis()) + "ms"))
                    .map(rows -> rows.iterator().next().getString(0))
                    .chain(before -> select(sql, repository, id, " for update of s")
                            .call(() -> sql.preparedQuery("select set_config('lock_timeout', $1, true)")
                                    .execute(Tuple.of(before))));
        }
        return locked.onFailure(UploadSessionRepository::isLockNotAvailable).transform(e -> new Busy(id));
    }

    private static Uni<UploadSession> select(SqlClient sql, String repository, UUID id, String lock) {
        return sql.preparedQuery("select " + COLUMNS + " from upload_session s join repository r on r.id = s.repository_id "
                + "where s.id = $1 and r.name = $2" + lock)
                .execute(Tuple.of(id, repository)).map(rows -> SqlRows.firstOrNull(rows, UploadSessionRepository::session));
    }

    /** 416: another request holds the upload (it writes a chunk, or commits); nothing was read or written. */
    public static final class Busy extends RegistryException {
        Busy(UUID id) {
            super(OciError.BLOB_UPLOAD_INVALID, 416,
                    "upload " + id + " is being written by another request; retry once it has finished");
        }
    }

    /** Stores where the upload stands after a chunk: handle, size and hash state. */
    public Uni<Void> saveProgress(SqlClient sql, UploadSession session) {
        return sql.preparedQuery("update upload_session set storage_handle = $2, committed_size = $3, hash_state = $4, "
                + "updated_at = $5 where id = $1")
                .execute(Tuple.of(session.id, session.storageHandle, session.committedSize, session.hashState,
                        session.updatedAt))
                .replaceWithVoid();
    }

    public Uni<Void> delete(SqlClient sql, UUID id) {
        return sql.preparedQuery("delete from upload_session where id = $1").execute(Tuple.of(id)).replaceWithVoid();
    }

    private static UploadSession session(Row row) {
        UploadSession s = new UploadSession();
        s.id = row.getUUID("id");
        s.repositoryId = row.getLong("repository_id");
        s.storageHandle = row.getString("storage_handle");
        s.committedSize = row.getLong("committed_size");
        s.hashState = row.getString("hash_state");
        s.createdAt = row.getOffsetDateTime("created_at");
        s.updatedAt = row.getOffsetDateTime("updated_at");
        return s;
    }

    private static boolean isLockNotAvailable(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof PgException pg && LOCK_NOT_AVAILABLE.equals(pg.getSqlState())) {
                return true;
            }
        }
        return false;
    }
}
