package dev.berth.gc.collector.orphans;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** What names storage objects in registry-api's tables, asked once per page of a storage scan. */
@ApplicationScoped
public class OrphanRepository {
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    /**
     * The keys among {@code keys} that something names: a blob row ({@code storage_key}), a pending deletion (left
     * to the objects collector) or a live upload session ({@code uploads.get(i)} is the upload that owns
     * {@code keys.get(i)}, empty when none does). One statement, so one snapshot: an S3 upload that commits while
     * this runs is seen either with its session or with its blob row (registry-api writes the blob row and deletes
     * the session in one transaction).
     */
    public Set<String> inUse(SqlClient sql, List<String> keys, List<String> uploads) {
        Set<String> used = new HashSet<>();
        if (keys.isEmpty()) {
            return used;
        }
        for (Row row : sql.preparedQuery("select k.key from unnest($1::text[], $2::text[]) as k(key, upload) "
                + "where exists (select 1 from blob b where b.storage_key = k.key) "
                + "or exists (select 1 from gc_pending_object p where p.storage_key = k.key) "
                + "or exists (select 1 from upload_session s where s.id = nullif(k.upload, '')::uuid)")
                .execute(Tuple.of(keys.toArray(String[]::new), uploads.stream().map(OrphanRepository::uuidOrEmpty)
                        .toArray(String[]::new)))
                .await().atMost(TIMEOUT)) {
            used.add(row.getString(0));
        }
        return used;
    }

    /** The upload ids among {@code uploads} that have a session. */
    public Set<String> liveUploads(SqlClient sql, List<String> uploads) {
        Set<String> live = new HashSet<>();
        List<UUID> ids = uploads.stream().map(OrphanRepository::uuidOrEmpty).filter(s -> !s.isEmpty())
                .map(UUID::fromString).toList();
        if (ids.isEmpty()) {
            return live;
        }
        for (Row row : sql.preparedQuery("select id from upload_session where id = any($1)")
                .execute(Tuple.of(ids.toArray(UUID[]::new))).await().atMost(TIMEOUT)) {
            live.add(row.getUUID(0).toString());
        }
        return live;
    }

    /** Upload ids are UUIDs in registry-api; anything else in a key names no session. */
    private static String uuidOrEmpty(String id) {
        if (id == null || id.length() != 36) {
            return "";
        }
        try {
            return UUID.fromString(id).toString().equals(id.toLowerCase()) ? id.toLowerCase() : "";
        } catch (IllegalArgumentException e) {
            return "";
        }
    }
}
