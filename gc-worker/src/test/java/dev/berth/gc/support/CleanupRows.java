package dev.berth.gc.support;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.UUID;

/** Rows of registry-api's tables as registry-api would write them, for collector tests. */
public final class CleanupRows {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Pool pool;

    public CleanupRows(Pool pool) {
        this.pool = pool;
    }

    public void execute(String sql, Object... args) {
        pool.preparedQuery(sql).execute(Tuple.from(args)).await().atMost(TIMEOUT);
    }

    public long repository(String name) {
        return pool.preparedQuery("insert into repository (name) values ($1) on conflict (name) do update "
                + "set name = excluded.name returning id").execute(Tuple.of(name)).await().atMost(TIMEOUT)
                .iterator().next().getLong(0);
    }

    /** An upload session last written to {@code updatedAt}. */
    public void uploadSession(long repositoryId, UUID id, String handle, long size, OffsetDateTime updatedAt) {
        execute("insert into upload_session (id, repository_id, storage_handle, committed_size, created_at, updated_at) "
                + "values ($1, $2, $3, $4, $5, $5)", id, repositoryId, handle, size, updatedAt);
    }

    public boolean uploadSessionExists(UUID id) {
        return pool.preparedQuery("select 1 from upload_session where id = $1").execute(Tuple.of(id))
                .await().atMost(TIMEOUT).size() == 1;
    }

    public void blob(String digest, long size, String storageKey) {
        execute("insert into blob (digest, size, storage_key) values ($1, $2, $3)", digest, size, storageKey);
    }

    public void pendingObject(String storageKey, String digest, long size) {
        execute("insert into gc_pending_object (storage_key, digest, size) values ($1, $2, $3)", storageKey, digest,
                size);
    }
}
