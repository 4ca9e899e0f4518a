package dev.berth.catalog.events;

import dev.berth.catalog.config.CatalogConfig;
import dev.berth.catalog.events.EventApplier.NewManifest;
import dev.berth.catalog.sql.Transactions;
import dev.berth.core.event.RegistryEvent;
import dev.berth.core.event.RegistryEventJson;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

import static dev.berth.catalog.sql.Transactions.STATEMENT_TIMEOUT;

/**
 * Keeps the read model up to date with registry-api's events. The clustered bus ({@value #ADDRESS}) is only the
 * fast wake-up; the outbox is the truth:
 * <ul>
 * <li>the event that follows the last applied position is applied straight from the bus;</li>
 * <li>an older one is ignored (redelivery); a later one reveals a gap, filled from {@code registry.outbox};</li>
 * <li>the outbox is also read at start and every {@code catalog.events.catch-up-interval}.</li>
 * </ul>
 * Events are applied on one thread of their own, in position order, a batch per transaction that also stores the
 * last position ({@code catalog.consumer_state}, locked for the transaction, so that replicas of catalog-service
 * sharing the schema and a rebuild serialise instead of applying twice). The position is reported to
 * {@code registry.outbox_consumer} after each catch-up, which lets the relay prune what every consumer has passed.
 */
@ApplicationScoped
public class EventConsumer {
    public static final String ADDRESS = "berth.events";
    private static final Logger LOG = Logger.getLogger(EventConsumer.class);
    /** Events taken from the bus per transaction at most. */
    private static final int BUS_BATCH = 500;

    private final Pool pool;
    private final io.vertx.core.Vertx vertx;
    private final CatalogConfig config;
    private final EventApplier applier;
    private final ConfigLabels labels;
    private final LinkedBlockingQueue<RegistryEvent> inbox = new LinkedBlockingQueue<>(100_000);
    private final AtomicLong applied = new AtomicLong(-1);
    private volatile boolean catchUpWanted = true;
    private volatile boolean running;
    private Thread thread;
    private MessageConsumer<Object> subscription;
    private long lastReport;
    private long lastReported = -1;

    public EventConsumer(Pool pool, io.vertx.core.Vertx vertx, CatalogConfig config, EventApplier applier, ConfigLabels labels) {
        this.pool = pool;
        this.vertx = vertx;
        this.config = config;
        this.applier = applier;
        this.labels = labels;
    }

    void start(@Observes StartupEvent start) {
        if (!config.events().enabled()) {
            LOG.info("event consumption off (catalog.events.enabled=false): the read model is only queried");
            return;
        }
        subscription = vertx.eventBus().consumer(ADDRESS, message -> onMessage(message.body()));
        running = true;
        thread = new Thread(this::run, "catalog-events");
        thread.setDaemon(true);
        thread.start();
        LOG.infof("consuming registry events from the bus (%s) and the outbox, catching up every %s", ADDRESS,
                config.events().catchUpInterval());
    }

    void stop(@Observes ShutdownEvent stop) {
        running = false;
        if (subscription != null) {
            subscription.unregister();
        }
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The last position applied by this process (-1 before its first transaction). */
    public long appliedPosition() {
        return applied.get();
    }

    /** Asks for an outbox catch-up soon (after a rebuild, or from tests). */
    public void wake() {
        catchUpWanted = true;
        inbox.offer(WAKE_UP);
    }

    private static final RegistryEvent WAKE_UP = RegistryEvent.of(RegistryEvent.BLOB_PUSHED, "-wake-up-");

    private void onMessage(Object body) {
        RegistryEvent event;
        try {
            event = RegistryEventJson.read(body instanceof String text ? text : String.valueOf(body));
        } catch (RuntimeException e) {
            // the outbox row will be read (and refused loudly) by the catch-up
            LOG.warnf("unreadable event on %s: %s", ADDRESS, e.getMessage());
            wake();
            return;
        }
        if (event.position() <= 0) {
            wake();
            return;
        }
        if (event.position() <= applied.get()) {
            return;
        }
        if (!inbox.offer(event)) {
            // too far behind: the outbox has them all
            wake();
        }
    }

    private void run() {
        long interval = config.events().catchUpInterval().toMillis();
        long nextCatchUp = 0;
        while (running) {
            try {
                long wait = Math.max(0, nextCatchUp - System.currentTimeMillis());
                RegistryEvent first = inbox.poll(wait, TimeUnit.MILLISECONDS);
                List<RegistryEvent> batch = new ArrayList<>();
                if (first != null && first != WAKE_UP) {
                    batch.add(first);
                }
                drainTo(batch);
                if (!batch.isEmpty() && !applyFromBus(batch)) {
                    catchUpWanted = true;
                }
                if (catchUpWanted || System.currentTimeMillis() >= nextCatchUp) {
                    catchUpWanted = false;
                    catchUp();
                    nextCatchUp = System.currentTimeMillis() + interval;
                }
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warnf(e, "applying registry events failed; retrying from the outbox in %d ms", interval);
                nextCatchUp = System.currentTimeMillis() + interval;
                catchUpWanted = false;
                sleep(interval);
            }
        }
    }

    private void drainTo(List<RegistryEvent> batch) {
        List<RegistryEvent> more = new ArrayList<>();
        inbox.drainTo(more, BUS_BATCH);
        for (RegistryEvent e : more) {
            if (e != WAKE_UP) {
                batch.add(e);
            }
        }
        batch.sort((a, b) -> Long.compare(a.position(), b.position()));
    }

    /** Applies the contiguous run of events after the last position; false when a gap was found. */
    private boolean applyFromBus(List<RegistryEvent> batch) {
        boolean[] gap = {false};
        apply(tx -> {
            List<RegistryEvent> run = new ArrayList<>();
            long last = lockPosition(tx);
            long next = last + 1;
            for (RegistryEvent e : batch) {
                if (e.position() < next) {
                    continue;
                }
                if (e.position() > next) {
                    gap[0] = true;
                    break;
                }
                run.add(e);
                next++;
            }
            return run;
        });
        if (gap[0]) {
            LOG.debugf("gap in the events from the bus after position %d: reading the outbox", applied.get());
        }
        return !gap[0];
    }

    /** Reads and applies everything the outbox holds after the last position, in batches. */
    private void catchUp() {
        int batchSize = Math.max(1, config.events().batchSize());
        int count;
        do {
            int[] read = {0};
            apply(tx -> {
                List<RegistryEvent> events = OutboxReader.after(tx, lockPosition(tx), batchSize);
                read[0] = events.size();
                return events;
            });
            count = read[0];
            if (count > 0) {
                LOG.debugf("caught up %d events from the outbox, now at position %d", count, applied.get());
            }
        } while (count == batchSize && running);
        report();
        labels.backfill();
    }

    /**
     * One transaction: {@code select} picks the events to apply with the position row locked (it must start with
     * {@link #lockPosition}); they are applied in order and the new position stored.
     */
    private void apply(java.util.function.Function<SqlConnection, List<RegistryEvent>> select) {
        List<NewManifest> configs = new ArrayList<>();
        long position = Transactions.inTransaction(pool, tx -> {
            List<RegistryEvent> events = select.apply(tx);
            long last = lastLocked;
            if (events.isEmpty()) {
                return last;
            }
            Set<String> touched = new HashSet<>();
            for (RegistryEvent event : events) {
                if (event.position() != last + 1) {
                    throw new IllegalStateException("event at position " + event.position() + " does not follow " + last);
                }
                applier.apply(tx, event, touched, configs);
                last = event.position();
            }
            applier.refresh(tx, touched);
            tx.preparedQuery("update catalog.consumer_state set last_position = $1, updated_at = now() where id = 1")
                    .execute(Tuple.of(last)).await().atMost(STATEMENT_TIMEOUT);
            LOG.debugf("applied events %d..%d", events.get(0).position(), last);
            return last;
        });
        applied.set(position);
        if (!configs.isEmpty()) {
            labels.fetch(configs);
        }
    }

    private long lastLocked;

    private long lockPosition(SqlConnection tx) {
        lastLocked = tx.preparedQuery("select last_position from catalog.consumer_state where id = 1 for update")
                .execute().await().atMost(STATEMENT_TIMEOUT).iterator().next().getLong(0);
        return lastLocked;
    }

    /** Tells registry-api how far this consumer got (it prunes the outbox below every consumer's position). */
    private void report() {
        long position = applied.get();
        long now = System.currentTimeMillis();
        if (position < 0 || (position == lastReported && now - lastReport < 60_000)) {
            return;
        }
        try {
            pool.preparedQuery("""
                    insert into registry.outbox_consumer (name, position, updated_at) values ($1, $2, now())
                    on conflict (name) do update set position = excluded.position, updated_at = now()
                    """).execute(Tuple.of(config.events().consumerName(), position)).await().atMost(STATEMENT_TIMEOUT);
            lastReported = position;
            lastReport = now;
        } catch (RuntimeException e) {
            LOG.warnf("cannot report the consumer position to registry.outbox_consumer: %s", e.getMessage());
        }
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
