package dev.berth.catalog.events;

import dev.berth.catalog.config.CatalogConfig;
import dev.berth.catalog.events.EventApplier.NewManifest;
import dev.berth.catalog.sql.Pipeline;
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
    /** Events from the bus held while the consumer is busy; beyond that they are dropped (the outbox has them). */
    private static final int INBOX_CAPACITY = 10_000;
    /** The pause after a failed transaction before the outbox is read again, doubling up to the maximum. */
    private static final long RETRY_DELAY_MS = 1_000;
    private static final long MAX_RETRY_DELAY_MS = 30_000;

    private final Pool pool;
    private final io.vertx.core.Vertx vertx;
    private final CatalogConfig config;
    private final EventApplier applier;
    private final ConfigLabels labels;
    private final LinkedBlockingQueue<RegistryEvent> inbox = new LinkedBlockingQueue<>(INBOX_CAPACITY);
    private final AtomicLong applied = new AtomicLong(-1);
    private volatile boolean catchUpWanted = true;
    private volatile boolean running;
    private Thread thread;
    private MessageConsumer<Object> subscription;
    private long lastReport;
    private long lastReported = -1;
    /** After a failure, nothing is tried before this (bus events and gaps wait; {@link #wake} does not). */
    private volatile long retryAt;
    private int failures;
    private volatile String lastFailure;
    private long lastLocked;

    public EventConsumer(Pool pool, io.vertx.core.Vertx vertx, CatalogConfig config, EventApplier applier, ConfigLabels labels,
            io.micrometer.core.instrument.MeterRegistry metrics) {
        this.pool = pool;
        io.micrometer.core.instrument.Gauge.builder("berth.catalog.events.position", applied, AtomicLong::get)
                .description("The last outbox position applied to the read model by this process").register(metrics);
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

    /** Why applying events fails right now, or null while it works. */
    public String failure() {
        return lastFailure;
    }

    /** The last position applied by this process (-1 before its first transaction). */
    public long appliedPosition() {
        return applied.get();
    }

    /** Asks for an outbox catch-up now, also while backing off after failures (after a rebuild, or from tests). */
    public void wake() {
        retryAt = 0;
        nudge();
    }

    private void nudge() {
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
            nudge();
            return;
        }
        if (event.position() <= 0) {
            nudge();
            return;
        }
        if (event.position() <= applied.get()) {
            return;
        }
        if (!inbox.offer(event)) {
            // too far behind: the outbox has them all
            nudge();
        }
    }

    private void run() {
        long interval = config.events().catchUpInterval().toMillis();
        long nextCatchUp = 0;
        while (running) {
            try {
                long now = System.currentTimeMillis();
                long until = catchUpWanted ? Math.max(retryAt, now) : Math.max(nextCatchUp, retryAt);
                RegistryEvent first = inbox.poll(Math.max(0, until - now), TimeUnit.MILLISECONDS);
                List<RegistryEvent> batch = new ArrayList<>();
                if (first != null && first != WAKE_UP) {
                    batch.add(first);
                }
                drainTo(batch);
                now = System.currentTimeMillis();
                if (now < retryAt) {
                    // failing: the events wait in the outbox; the catch-up after retryAt applies them
                    catchUpWanted = true;
                    continue;
                }
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
                // 1 s, doubling while it keeps failing (registry-api's schema not there yet, database down), at most 30 s
                failures++;
                long delay = Math.min(MAX_RETRY_DELAY_MS, RETRY_DELAY_MS << Math.min(failures - 1, 5));
                String reason = describe(e);
                if (!reason.equals(lastFailure)) {
                    LOG.warnf("applying registry events failed after position %d (retrying from the outbox, backing off up to 30 s): %s",
                            applied.get(), reason);
                } else {
                    LOG.debugf("still failing after position %d: %s", applied.get(), reason);
                }
                LOG.debug("failure", e);
                lastFailure = reason;
                retryAt = System.currentTimeMillis() + delay;
                catchUpWanted = true;
            }
        }
    }

    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            text.append(": ").append(cause.getMessage());
        }
        return text.toString();
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
        List<NewManifest> configs = java.util.Collections.synchronizedList(new ArrayList<>());
        long started = System.nanoTime();
        long position = Transactions.inTransaction(pool, tx -> {
            List<RegistryEvent> events = select.apply(tx);
            long last = lastLocked;
            if (events.isEmpty()) {
                return last;
            }
            for (RegistryEvent event : events) {
                if (event.position() != last + 1) {
                    throw new IllegalStateException("event at position " + event.position() + " does not follow " + last);
                }
                last = event.position();
            }
            // the whole batch in one round trip: a few set-based statements, the figures, the position
            Set<String> touched = new HashSet<>();
            Pipeline pipeline = new Pipeline(tx);
            applier.apply(pipeline, events, touched, configs);
            applier.refresh(pipeline, touched);
            pipeline.send("update catalog.consumer_state set last_position = $1, updated_at = now() where id = 1",
                    Tuple.of(last));
            pipeline.await();
            return last;
        });
        long before = applied.getAndSet(position);
        if (position != before && LOG.isDebugEnabled()) {
            LOG.debugf("applied events %d..%d in %.1f ms", (Object) (before + 1), (Object) position, (Object) ((System.nanoTime() - started) / 1e6));
        }
        if (failures > 0) {
            LOG.infof("applying registry events again, at position %d", position);
            failures = 0;
            lastFailure = null;
        }
        if (!configs.isEmpty()) {
            labels.fetch(configs);
        }
    }

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

}
