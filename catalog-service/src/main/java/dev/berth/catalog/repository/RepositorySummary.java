package dev.berth.catalog.repository;

import io.vertx.mutiny.sqlclient.Row;
import java.time.OffsetDateTime;

/** A repository as the catalog lists it. {@code size}: unique bytes of its manifests' blobs. */
public record RepositorySummary(String name, OffsetDateTime createdAt, OffsetDateTime lastPushAt, int tagCount, long size) {

    public static final String COLUMNS = "r.name, r.created_at, r.last_push_at, r.tag_count, r.size";

    public static RepositorySummary of(Row row) {
        return new RepositorySummary(row.getString("name"), row.getOffsetDateTime("created_at"),
                row.getOffsetDateTime("last_push_at"), row.getInteger("tag_count"), row.getLong("size"));
    }
}
