package dev.berth.registry.outbox;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Appends events to the outbox, always in the transaction of the change they record: callers pass that
 * transaction's {@link SqlClient}. Statements that make a change and record it in one go (a push, a mount,
 * a tag delete) write their outbox rows themselves, in the same SQL statement; this is for the others. The
 * publisher that reads the outbox arrives with the event-bus issue.
 */
@ApplicationScoped
public class OutboxRepository {

    public Uni<Void> append(SqlClient tx, String type, String repository, String digest, String tag, String mediaType) {
        return tx.preparedQuery("insert into outbox (event_type, repository, digest, tag, media_type) "
                + "values ($1, $2, $3, $4, $5)")
                .execute(Tuple.of(type, repository, digest, tag, mediaType))
                .replaceWithVoid();
    }
}
