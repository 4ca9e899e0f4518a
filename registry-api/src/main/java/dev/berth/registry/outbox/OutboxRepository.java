package dev.berth.registry.outbox;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;

/**
 * Appends events to the outbox. Must be called inside the transaction of the change it records; the
 * publisher that reads the outbox arrives with the event-bus issue.
 */
@ApplicationScoped
public class OutboxRepository implements PanacheRepositoryBase<OutboxEvent, Long> {

    public Uni<Void> append(String type, String repository, String digest, String tag, String mediaType) {
        OutboxEvent e = new OutboxEvent();
        e.eventType = type;
        e.repository = repository;
        e.digest = digest;
        e.tag = tag;
        e.mediaType = mediaType;
        e.occurredAt = OffsetDateTime.now();
        return persist(e).replaceWithVoid();
    }

    /** {@link #append} on the reactive SQL client, in the transaction of {@code sql}. */
    public Uni<Void> append(SqlClient sql, String type, String repository, String digest, String tag, String mediaType) {
        return sql.preparedQuery("insert into outbox (event_type, repository, digest, tag, media_type, occurred_at) "
                + "values ($1, $2, $3, $4, $5, $6)")
                .execute(Tuple.of(type, repository, digest, tag, mediaType, OffsetDateTime.now()))
                .replaceWithVoid();
    }
}
