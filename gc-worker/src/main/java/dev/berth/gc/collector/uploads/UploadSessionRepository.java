package dev.berth.gc.collector.uploads;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * registry-api's upload sessions, as the uploads collector sees them. {@code updated_at} is written by registry-api
 * from its own clock at each chunk, so the age limit is computed from the worker's clock too.
 */
@ApplicationScoped
public class UploadSessionRepository {
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    /** An upload session to abort: its storage handle and the bytes it holds. */
    public record StaleUpload(UUID id, String storageHandle, long committedSize) {
    }

    /** Sessions not written to since {@code cutoff} and their bytes, without locking anything (dry runs). */
    public long[] countStale(SqlClient sql, OffsetDateTime cutoff) {
        Row row = sql.preparedQuery("select count(*), coalesce(sum(committed_size), 0) from upload_session "
                + "where updated_at < $1")
                .execute(Tuple.of(cutoff)).await().atMost(TIMEOUT).iterator().next();
        return new long[] {row.getLong(0), row.getLong(1)};
    }

    /**
     * Locks up to {@code limit} sessions not written to since {@code cutoff}, oldest first, skipping {@code skip}
     * and every session another transaction holds: registry-api holds a session's row while it writes a chunk or
     * commits, so a busy upload is never taken (and once this lock is held, its next chunk fails as busy rather
     * than writing into storage being discarded). The lock re-reads each row's newest version, so the age is
     * checked on what was last written, not on this statement's snapshot.
     */
    public List<StaleUpload> lockStale(SqlClient tx, OffsetDateTime cutoff, Collection<UUID> skip, int limit) {
        List<StaleUpload> found = new ArrayList<>();
        for (Row row : tx.preparedQuery("select id, storage_handle, committed_size from upload_session "
                + "where updated_at < $1 and id <> all($2) order by updated_at limit $3 for update skip locked")
                .execute(Tuple.of(cutoff, skip.toArray(UUID[]::new), limit)).await().atMost(TIMEOUT)) {
            found.add(new StaleUpload(row.getUUID(0), row.getString(1), row.getLong(2)));
        }
        return found;
    }

    public void delete(SqlClient tx, Collection<UUID> ids) {
        if (!ids.isEmpty()) {
            tx.preparedQuery("delete from upload_session where id = any($1)")
                    .execute(Tuple.of(ids.toArray(UUID[]::new))).await().atMost(TIMEOUT);
        }
    }
}
