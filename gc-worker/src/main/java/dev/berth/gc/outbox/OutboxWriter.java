package dev.berth.gc.outbox;

import dev.berth.core.event.OutboxInsert;
import dev.berth.core.event.RegistryEvent;
import io.vertx.mutiny.core.eventbus.EventBus;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * gc-worker's events: what a collector deletes is announced like any change of the registry, by outbox rows written
 * in the deleting transaction (registry-core's {@link OutboxInsert}, the statement registry-api uses), with actor
 * {@value #ACTOR}. registry-api's relay positions and publishes them; after the commit an empty message on
 * {@value #WAKE_ADDRESS} wakes the relay at once instead of at its next poll (harmless when nobody listens).
 */
@ApplicationScoped
public class OutboxWriter {
    private static final Logger LOG = Logger.getLogger(OutboxWriter.class);
    /** The actor of every event gc-worker writes. */
    public static final String ACTOR = "gc-worker";
    /** registry-api's OutboxRelay listens here for rows to position. */
    public static final String WAKE_ADDRESS = "berth.outbox.pending";
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    private final EventBus bus;

    public OutboxWriter(EventBus bus) {
        this.bus = bus;
    }

    /**
     * Appends {@code events} in the transaction open on {@code tx} (awaited: call it from a collector's thread);
     * once that transaction commits, the relay is woken. Events without an actor get {@value #ACTOR}.
     */
    public void append(SqlConnection tx, List<RegistryEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        List<RegistryEvent> stamped = events.stream().map(e -> e.actor() == null ? e.withActor(ACTOR) : e).toList();
        tx.preparedQuery(OutboxInsert.SQL).execute(Tuple.from(OutboxInsert.parameters(stamped)))
                .await().atMost(TIMEOUT);
        Transaction transaction = tx.transaction();
        if (transaction == null) {
            wake();
            return;
        }
        // a rollback fails the completion: nothing to announce
        transaction.completion().subscribe().with(v -> wake(), rolledBack -> {
        });
    }

    private void wake() {
        try {
            bus.publish(WAKE_ADDRESS, "");
        } catch (RuntimeException e) {
            // the rows are committed; the relay finds them at its next poll
            LOG.debugf("could not wake the outbox relay: %s", e);
        }
    }
}
