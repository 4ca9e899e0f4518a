package dev.berth.registry.outbox;

import dev.berth.core.event.OutboxInsert;
import dev.berth.core.event.RegistryEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The one writer of the outbox: services append the events of a change in that change's transaction (callers pass
 * its {@link SqlClient}), so an event exists exactly when its change committed. Rows are written without a position;
 * the relay assigns positions in commit order and publishes them. The statement is registry-core's
 * {@link OutboxInsert}, shared with gc-worker. Once the transaction has committed,
 * {@link EventsCommitted} is fired, so that the relay need not wait for its next poll.
 */
@ApplicationScoped
public class OutboxRepository {
    private static final Logger LOG = Logger.getLogger(OutboxRepository.class);

    private final Event<EventsCommitted> committed;

    public OutboxRepository(Event<EventsCommitted> committed) {
        this.committed = committed;
    }

    /** Appends {@code events} (written with position null) in the transaction of {@code tx}; nothing for none. */
    public Uni<Void> append(SqlClient tx, List<RegistryEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = events.size();
        return tx.preparedQuery(OutboxInsert.SQL).execute(Tuple.from(OutboxInsert.parameters(events)))
                .invoke(() -> afterCommit(tx, n)).replaceWithVoid();
    }

    /** Fires {@link EventsCommitted} when the transaction of {@code client} commits (at once without a transaction). */
    private void afterCommit(SqlClient client, int count) {
        Transaction transaction = client instanceof SqlConnection connection ? connection.transaction() : null;
        if (transaction == null) {
            fire(count);
            return;
        }
        // a rollback fails the completion: nothing to announce
        transaction.completion().subscribe().with(v -> fire(count), rolledBack -> {
        });
    }

    private void fire(int count) {
        try {
            committed.fire(new EventsCommitted(count));
        } catch (RuntimeException e) {
            // the events are committed; the relay finds them at its next poll
            LOG.warnf(e, "An observer of committed outbox events failed");
        }
    }
}
