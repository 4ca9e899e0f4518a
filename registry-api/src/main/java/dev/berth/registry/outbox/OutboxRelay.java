package dev.berth.registry.outbox;

import dev.berth.core.event.RegistryEvent;
import dev.berth.core.event.RegistryEventJson;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The outbox relay: gives outbox rows their gapless positions and publishes them on the (clustered) event bus
 * at {@value #EVENTS_ADDRESS}, in position order.
 *
 * <p>Every registry-api replica runs one, and exactly one of them is active: the holder of the lease in the
 * row {@code outbox_relay}. Every replica tries to take or renew the lease each
 * {@code berth.events.relay.renew-interval}; a lease that was not renewed for {@code berth.events.relay.lease}
 * (its replica died or hangs) is taken over by the next replica that tries, and a replica that shuts down
 * releases it, so another takes over at its next try.
 *
 * <p>The active relay runs a round every {@code berth.events.relay.poll-interval}, and at once when woken
 * ({@link #wake()}). A round is one transaction: lock the lease row ({@code for update}) if this replica still
 * holds a valid lease, position up to {@code batch-size} rows in sequence order from {@code next_position},
 * advance it, commit; then publish the positioned events. Only committed rows are visible to the round, so a
 * row whose transaction committed late is positioned after the rows committed before it: positions follow the
 * order rows became visible, and a consumer reading "position &gt; last" skips nothing. The row lock makes
 * positions unique and gapless even if two replicas ever believed they held the lease.
 *
 * <p>Publishing is the fast path only: a crash between the commit and the publish loses nothing, because
 * consumers notice the gap in positions and read the outbox. The active relay also prunes published rows
 * that every consumer has applied and that are older than {@code berth.events.retention}.
 *
 * <p>All timers and state live on one Vert.x context; nothing here blocks an event loop.
 */
@ApplicationScoped
public class OutboxRelay {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);

    /** Where events are published, one JSON text ({@link RegistryEventJson}) per message. */
    public static final String EVENTS_ADDRESS = "berth.events";
    /**
     * Where a writer on any replica wakes the active relay (any body, or none); {@link #wake()} sends here when
     * the relay runs on another replica. Only the active relay listens.
     */
    public static final String WAKE_ADDRESS = "berth.outbox.pending";

    static final int PRUNE_BATCH = 10_000;
    /** Bounds one pruning run; the rest waits for the next run. */
    static final int PRUNE_MAX_BATCHES = 100;

    private final Vertx vertx;
    private final Pool pool;
    private final RelayRepository relays;
    private final Duration lease;
    private final Duration renewInterval;
    private final Duration pollInterval;
    private final Duration retention;
    private final Duration pruneInterval;
    private final int batchSize;
    private final String holder;
    private final Counter published;
    private final Counter pruned;
    private final AtomicLong backlog = new AtomicLong();

    /**
     * {@link System#nanoTime()} until which this replica holds the lease; null without one. Counted from before
     * the renewal was sent, so it ends no later than the lease in the database: two replicas never both see
     * themselves as the relay.
     */
    private volatile Long leaseEnd;

    // confined to the relay's context
    private volatile Context context;
    private Executor onContext;
    private boolean running;
    private boolean leading;
    private long renewTimer = -1;
    private long roundTimer = -1;
    private long pruneTimer = -1;
    private boolean roundInFlight;
    private boolean roundAgain;
    private boolean pruneInFlight;
    private boolean roundFailing;
    private boolean renewFailing;
    private CompletableFuture<Void> renewal = CompletableFuture.completedFuture(null);
    private CompletableFuture<Void> roundFinished = CompletableFuture.completedFuture(null);
    private MessageConsumer<Object> wakeConsumer;

    @Inject
    public OutboxRelay(Vertx vertx, Pool pool, RelayRepository relays, EventsConfig config, MeterRegistry meters) {
        this(vertx, pool, relays, config, meters, processId());
    }

    OutboxRelay(Vertx vertx, Pool pool, RelayRepository relays, EventsConfig config, MeterRegistry meters,
            String holder) {
        this.vertx = vertx;
        this.pool = pool;
        this.relays = relays;
        this.lease = config.relay().lease();
        this.renewInterval = config.relay().renewInterval();
        this.pollInterval = config.relay().pollInterval();
        this.retention = config.retention();
        this.pruneInterval = config.pruneInterval();
        this.batchSize = config.relay().batchSize();
        this.holder = holder;
        if (renewInterval.isNegative() || renewInterval.isZero() || renewInterval.compareTo(lease) >= 0) {
            throw new IllegalArgumentException("berth.events.relay.renew-interval (" + renewInterval
                    + ") must be positive and shorter than berth.events.relay.lease (" + lease + ")");
        }
        if (pollInterval.toMillis() < 1 || pruneInterval.toMillis() < 1 || batchSize < 1 || retention.isNegative()) {
            throw new IllegalArgumentException("berth.events.relay.poll-interval and berth.events.prune-interval must be "
                    + "at least 1ms, berth.events.relay.batch-size at least 1, berth.events.retention not negative");
        }
        this.published = Counter.builder("berth.events.published")
                .description("events the outbox relay of this replica published on the event bus").register(meters);
        this.pruned = Counter.builder("berth.events.pruned")
                .description("published events pruned from the outbox by this replica").register(meters);
        Gauge.builder("berth.events.relay.leader", this, r -> r.isLeader() ? 1 : 0)
                .description("1 while this replica is the active outbox relay").register(meters);
        Gauge.builder("berth.events.backlog", backlog, AtomicLong::get)
                .description("outbox rows waiting for a position, as the active relay last counted them (0 on other replicas)")
                .register(meters);
    }

    /** {@code host:pid:random}: unique per process, and says in {@code outbox_relay.holder} which replica relays. */
    static String processId() {
        String name = ManagementFactory.getRuntimeMXBean().getName();
        int at = name.indexOf('@');
        String host = at >= 0 ? name.substring(at + 1) : "unknown";
        if (host.length() > 200) {
            host = host.substring(0, 200);
        }
        return host + ":" + ProcessHandle.current().pid() + ":"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt() | 0x10000000);
    }

    void onStart(@Observes StartupEvent event) {
        start();
    }

    void onStop(@Observes ShutdownEvent event) {
        try {
            stop().await().atMost(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warnf("outbox relay: could not release the lease (%s); another replica takes over once it expires", e.toString());
        }
    }

    /** A writer's transaction committed events: position and publish them now rather than at the next poll. */
    void onCommitted(@Observes EventsCommitted committed) {
        wake();
    }

    /** This replica's holder id in {@code outbox_relay}. */
    public String holder() {
        return holder;
    }

    /** Whether this replica is the active relay now. */
    public boolean isLeader() {
        Long end = leaseEnd;
        return end != null && System.nanoTime() - end < 0;
    }

    /**
     * Asks for a round now: call it after committing a transaction that appended events. Never blocks; cheap.
     * Wakes this replica's relay when it is the active one, otherwise sends to {@value #WAKE_ADDRESS}, where the
     * active relay listens (on whichever replica it runs). Without a call, events wait for the next poll.
     */
    public void wake() {
        Context ctx = context;
        if (ctx != null && isLeader()) {
            ctx.runOnContext(v -> wakeHere());
        } else {
            vertx.eventBus().publish(WAKE_ADDRESS, null);
        }
    }

    /** Starts taking part: tries the lease at once and then every renew interval. */
    void start() {
        Context ctx = vertx.getOrCreateContext();
        context = ctx;
        ctx.runOnContext(v -> {
            onContext = command -> ctx.runOnContext(ignored -> command.run());
            running = true;
            renewTimer = vertx.setPeriodic(renewInterval.toMillis(), id -> renew());
            pruneTimer = vertx.setPeriodic(pruneInterval.toMillis(), id -> pruneIfLeading());
            renew();
        });
    }

    /** Stops relaying and releases the lease, so that another replica takes over at its next try. */
    Uni<Void> stop() {
        return halt("shutting down").chain(() -> relays.releaseLease(pool, holder))
                .invoke(released -> {
                    if (released) {
                        LOG.infof("outbox relay: released the lease of %s", holder);
                    }
                })
                .replaceWithVoid();
    }

    /** Stops without releasing the lease, as a replica that dies does (for tests: the others wait for the lease). */
    Uni<Void> kill() {
        return halt("stopped without releasing the lease");
    }

    /**
     * Stops the timers, forgets the lease locally, and completes once neither a lease renewal nor a round is in
     * flight (a round that committed its positions publishes them before this completes).
     */
    private Uni<Void> halt(String reason) {
        Context ctx = context;
        if (ctx == null) {
            return Uni.createFrom().voidItem();
        }
        CompletableFuture<CompletableFuture<Void>> halted = new CompletableFuture<>();
        ctx.runOnContext(v -> {
            running = false;
            for (long timer : new long[] {renewTimer, roundTimer, pruneTimer}) {
                if (timer >= 0) {
                    vertx.cancelTimer(timer);
                }
            }
            renewTimer = roundTimer = pruneTimer = -1;
            leaseEnd = null;
            leadershipChanged(reason);
            halted.complete(CompletableFuture.allOf(renewal, roundFinished));
        });
        // a renewal still in flight could take the lease again after a release: wait for it
        return Uni.createFrom().completionStage(halted)
                .chain(pending -> Uni.createFrom().completionStage(pending).onFailure().recoverWithNull())
                .replaceWithVoid();
    }

    private void renew() {
        if (!running || !renewal.isDone()) {
            return;
        }
        leadershipChanged("the lease expired before it was renewed");
        CompletableFuture<Void> done = new CompletableFuture<>();
        renewal = done;
        long sent = System.nanoTime();
        relays.renewLease(pool, holder, lease)
                .emitOn(onContext)
                .subscribe().with(held -> {
                    done.complete(null);
                    if (!running) {
                        return;
                    }
                    if (renewFailing) {
                        renewFailing = false;
                        LOG.info("outbox relay: the lease can be renewed again");
                    }
                    leaseEnd = held ? Long.valueOf(sent + lease.toNanos()) : null;
                    leadershipChanged("another replica holds the lease");
                    if (leading) {
                        relays.unpositioned(pool).subscribe().with(backlog::set, failure -> {
                        });
                    }
                }, failure -> {
                    done.complete(null);
                    if (!renewFailing) {
                        renewFailing = true;
                        LOG.warnf("outbox relay: could not take or renew the lease (%s); retrying every %s",
                                failure.toString(), renewInterval);
                    }
                    // a held lease simply runs out unless a later renewal succeeds
                    leadershipChanged("the lease could not be renewed");
                });
    }

    /** Acts on a change of {@link #isLeader()}: one INFO line, the wake-up listener, the round loop. */
    private void leadershipChanged(String reasonIfLost) {
        boolean now = running && isLeader();
        if (now == leading) {
            return;
        }
        leading = now;
        if (now) {
            LOG.infof("outbox relay: this replica (%s) is now the relay (lease %s)", holder, lease);
            wakeConsumer = vertx.eventBus().consumer(WAKE_ADDRESS, message -> wakeHere());
            scheduleRound(0);
        } else {
            LOG.infof("outbox relay: this replica (%s) is no longer the relay: %s", holder, reasonIfLost);
            if (wakeConsumer != null) {
                wakeConsumer.unregister();
                wakeConsumer = null;
            }
            backlog.set(0);
        }
    }

    private void wakeHere() {
        if (!running || !leading) {
            return;
        }
        if (roundInFlight) {
            roundAgain = true;
        } else {
            scheduleRound(0);
        }
    }

    private void scheduleRound(long delayMillis) {
        if (roundTimer >= 0) {
            vertx.cancelTimer(roundTimer);
            roundTimer = -1;
        }
        if (delayMillis <= 0) {
            context.runOnContext(v -> runRound());
        } else {
            roundTimer = vertx.setTimer(delayMillis, id -> {
                roundTimer = -1;
                runRound();
            });
        }
    }

    private void runRound() {
        if (!running || !leading) {
            return; // the loop starts again when this replica becomes the relay
        }
        if (roundInFlight) {
            roundAgain = true;
            return;
        }
        roundInFlight = true;
        CompletableFuture<Void> finished = new CompletableFuture<>();
        roundFinished = finished;
        round().emitOn(onContext).subscribe().with(events -> {
            finished.complete(null);
            roundInFlight = false;
            if (roundFailing) {
                roundFailing = false;
                LOG.info("outbox relay: rounds succeed again");
            }
            boolean more = roundAgain || events.size() >= batchSize;
            roundAgain = false;
            leadershipChanged("the lease was lost (another replica took it over)");
            if (leading) {
                scheduleRound(more ? 0 : pollInterval.toMillis());
            }
        }, failure -> {
            finished.complete(null);
            roundInFlight = false;
            roundAgain = false;
            if (!roundFailing) {
                roundFailing = true;
                LOG.warnf("outbox relay: a round failed (%s); retrying every %s", failure.toString(), pollInterval);
            }
            if (leading) {
                scheduleRound(pollInterval.toMillis());
            }
        });
    }

    /**
     * One round: positions up to {@code batch-size} rows in one transaction, then publishes them in position
     * order. Emits the events published; none when nothing waited or this replica does not hold the lease.
     */
    Uni<List<RegistryEvent>> round() {
        return relays.hasUnpositioned(pool).chain(pending -> {
            if (!pending) {
                return Uni.createFrom().item(List.<RegistryEvent>of());
            }
            return pool.withTransaction(tx -> relays.lockForRound(tx, holder)
                    .chain(next -> next == null ? Uni.createFrom().<List<RelayRepository.Positioned>>nullItem()
                            : relays.position(tx, next, batchSize)))
                    .map(rows -> {
                        if (rows == null) {
                            leaseEnd = null; // the database says the lease is gone: stop at once
                            return List.<RegistryEvent>of();
                        }
                        return publish(rows);
                    });
        });
    }

    private List<RegistryEvent> publish(List<RelayRepository.Positioned> rows) {
        List<RegistryEvent> events = new ArrayList<>(rows.size());
        for (RelayRepository.Positioned row : rows) {
            if (row.event() == null) {
                // positioned anyway: consumers read it from the outbox and decide; never a reason to stall
                LOG.errorf("outbox relay: the event at position %d cannot be published by this version: %s",
                        row.position(), row.invalid().getMessage());
                continue;
            }
            vertx.eventBus().publish(EVENTS_ADDRESS, RegistryEventJson.write(row.event()));
            events.add(row.event());
        }
        published.increment(events.size());
        if (LOG.isDebugEnabled() && !rows.isEmpty()) {
            LOG.debugf("outbox relay: published positions %d..%d", rows.get(0).position(),
                    rows.get(rows.size() - 1).position());
        }
        return events;
    }

    private void pruneIfLeading() {
        if (!running || !leading || pruneInFlight) {
            return;
        }
        pruneInFlight = true;
        prune().emitOn(onContext).subscribe().with(count -> {
            pruneInFlight = false;
            if (count > 0) {
                LOG.infof("outbox relay: pruned %d published events older than %s that every consumer has applied",
                        count, retention);
            }
        }, failure -> {
            pruneInFlight = false;
            LOG.warnf("outbox relay: pruning failed (%s); trying again in %s", failure.toString(), pruneInterval);
        });
    }

    /**
     * Deletes published rows older than the retention that every registered consumer has applied, in batches
     * of {@value #PRUNE_BATCH} (at most {@value #PRUNE_MAX_BATCHES} per run). Emits how many.
     */
    Uni<Integer> prune() {
        return pruneBatches(0, 0);
    }

    private Uni<Integer> pruneBatches(int total, int batches) {
        return relays.prune(pool, retention, PRUNE_BATCH).chain(count -> {
            pruned.increment(count);
            if (count < PRUNE_BATCH || batches + 1 >= PRUNE_MAX_BATCHES) {
                return Uni.createFrom().item(total + count);
            }
            return pruneBatches(total + count, batches + 1);
        });
    }
}
