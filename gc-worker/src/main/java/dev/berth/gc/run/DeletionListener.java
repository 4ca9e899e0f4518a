package dev.berth.gc.run;

import dev.berth.core.event.RegistryEvent;
import dev.berth.core.event.RegistryEventJson;
import dev.berth.gc.config.GcConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Deletions announced on the bus ({@code berth.events}: manifest, tag, blob and repository deletions) start an
 * incremental run once what they freed is past the grace period (now + gc.grace + 1 s). One timer is pending at a
 * time: later deletions move nothing forward but are remembered, and when the timer fires a further one is set for
 * the latest of them. When a run is active then, it tries again 10 s later; a run that started (on any worker)
 * after the deletions were due covers them. The bus only wakes: the
 * queues are filled by the database's triggers, and the schedule collects whatever an event did not.
 */
@ApplicationScoped
public class DeletionListener {
    private static final Logger LOG = Logger.getLogger(DeletionListener.class);
    public static final String EVENTS = "berth.events";
    /** While a run is active, or the database away, the pending start is tried again this much later. */
    static final Duration RETRY = Duration.ofSeconds(10);
    static final Set<String> DELETIONS = Set.of(RegistryEvent.MANIFEST_DELETED, RegistryEvent.TAG_DELETED,
            RegistryEvent.BLOB_DELETED, RegistryEvent.REPOSITORY_DELETED);

    private final GcConfig config;
    private final RunService service;
    private final Collectors collectors;
    private final Vertx vertx;
    private MessageConsumer<Object> subscription;
    /** Epoch millis the pending timer fires at; 0: none pending. */
    private long pendingAt;
    /** The latest due time of the deletions seen since the pending timer was set. */
    private long latestDue;

    public DeletionListener(GcConfig config, RunService service, Collectors collectors, Vertx vertx) {
        this.config = config;
        this.service = service;
        this.collectors = collectors;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent start) {
        subscription = vertx.eventBus().consumer(EVENTS, message -> onEvent(message.body()));
    }

    void stop(@Observes ShutdownEvent stop) {
        if (subscription != null) {
            subscription.unregister();
        }
    }

    void onEvent(Object body) {
        RegistryEvent event;
        try {
            event = RegistryEventJson.read(body instanceof String text ? text : String.valueOf(body));
        } catch (RuntimeException e) {
            LOG.debugf("unreadable event on %s: %s", EVENTS, e.getMessage());
            return;
        }
        if (DELETIONS.contains(event.type())) {
            deletionSeen(System.currentTimeMillis() + config.grace().toMillis() + 1000);
        }
    }

    /** Epoch millis of the pending run start; 0 when none is pending. */
    public synchronized long pendingAt() {
        return pendingAt;
    }

    synchronized void deletionSeen(long due) {
        latestDue = Math.max(latestDue, due);
        if (pendingAt == 0) {
            arm(due);
        }
    }

    private void arm(long at) {
        pendingAt = at;
        vertx.setTimer(Math.max(1, at - System.currentTimeMillis()), id -> fire());
    }

    private void fire() {
        long due;
        synchronized (this) {
            due = pendingAt;
        }
        // a run (of any worker: every one hears the events) that started since the deletions were due covers them
        RunRepository.Recency since = new RunRepository.Recency(List.of(Trigger.EVENT, Trigger.SCHEDULE,
                Trigger.FULL_SCHEDULE), Duration.ofMillis(Math.max(0, System.currentTimeMillis() - due) + 1000));
        service.startUnlessActive(collectors.incremental(), Trigger.EVENT, since).subscribe().with(started -> {
            synchronized (this) {
                if (started.active() != null) {
                    // a run is active; it may have started before these deletions were due
                    arm(System.currentTimeMillis() + RETRY.toMillis());
                } else if (latestDue > pendingAt) {
                    arm(latestDue);
                } else {
                    pendingAt = 0;
                }
            }
        }, e -> {
            LOG.warnf("run after deletions not started: %s", e.getMessage());
            synchronized (this) {
                arm(System.currentTimeMillis() + RETRY.toMillis());
            }
        });
    }
}
