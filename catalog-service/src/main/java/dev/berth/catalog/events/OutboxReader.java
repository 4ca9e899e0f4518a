package dev.berth.catalog.events;

import dev.berth.core.event.RegistryEvent;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.berth.catalog.sql.Transactions.STATEMENT_TIMEOUT;

/** Reads published events from registry-api's outbox (the truth the bus only announces), in position order. */
final class OutboxReader {
    private static final String AFTER = """
            select position, version, event_type, occurred_at, repository, digest, tag, media_type, artifact_type, size,
                   platforms, subject, actor
            from registry.outbox where position > $1 order by position limit $2
            """;

    private OutboxReader() {
    }

    /** Up to {@code limit} events after {@code position}. A row of an unknown version fails (never skipped). */
    static List<RegistryEvent> after(SqlConnection tx, long position, int limit) {
        List<RegistryEvent> events = new ArrayList<>();
        for (Row row : tx.preparedQuery(AFTER).execute(Tuple.of(position, limit)).await().atMost(STATEMENT_TIMEOUT)) {
            events.add(event(row));
        }
        return events;
    }

    private static RegistryEvent event(Row row) {
        int version = row.getInteger("version");
        long position = row.getLong("position");
        if (version < 1 || version > RegistryEvent.CURRENT_VERSION) {
            throw new IllegalStateException("outbox position " + position + " has event version " + version
                    + ", newer than this catalog-service reads (" + RegistryEvent.CURRENT_VERSION + "): upgrade it");
        }
        OffsetDateTime time = row.getOffsetDateTime("occurred_at");
        String[] platforms = row.getArrayOfStrings("platforms");
        return new RegistryEvent(version, position, row.getString("event_type"), time == null ? null : time.toInstant(),
                row.getString("repository"), row.getString("digest"), row.getString("tag"), row.getString("media_type"),
                row.getString("artifact_type"), row.getLong("size"), platforms == null ? List.of() : Arrays.asList(platforms),
                row.getString("subject"), row.getString("actor"));
    }
}
