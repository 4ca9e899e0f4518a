package dev.berth.registry.outbox;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
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
}
