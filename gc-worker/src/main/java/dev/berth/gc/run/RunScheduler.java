package dev.berth.gc.run;

import dev.berth.gc.config.GcConfig;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Scheduled runs (gc.schedule.*): every 10 s each worker checks whether a run is due, a full run when none of
 * its kind started within gc.schedule.full-every, else an incremental one when no scheduled run (of either kind)
 * started within gc.schedule.every; nothing while a run is active. The check and the insert hold one advisory
 * lock in the database, so two workers never both create one, and a run that could not start (one was active)
 * starts at the next check after that one ended. A fresh installation gets its first full run at the first check.
 */
@ApplicationScoped
public class RunScheduler {
    private static final Logger LOG = Logger.getLogger(RunScheduler.class);

    private final GcConfig config;
    private final RunService service;
    private final Collectors collectors;

    public RunScheduler(GcConfig config, RunService service, Collectors collectors) {
        this.config = config;
        this.service = service;
        this.collectors = collectors;
    }

    @Scheduled(every = "10s", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> tick() {
        if (!config.schedule().enabled()) {
            return Uni.createFrom().voidItem();
        }
        return startIfDue().onFailure().invoke(e -> LOG.warnf("scheduled run not started: %s", e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Starts the run that is due, if any (see {@link RunRepository.Created}). */
    public Uni<RunRepository.Created> startIfDue() {
        GcConfig.Schedule schedule = config.schedule();
        return service.startUnlessActive(collectors.all(), Trigger.FULL_SCHEDULE,
                new RunRepository.Recency(List.of(Trigger.FULL_SCHEDULE), schedule.fullEvery()))
                .chain(full -> full.created() != null ? Uni.createFrom().item(full)
                        : service.startUnlessActive(collectors.incremental(), Trigger.SCHEDULE,
                                new RunRepository.Recency(List.of(Trigger.SCHEDULE, Trigger.FULL_SCHEDULE),
                                        schedule.every())));
    }
}
