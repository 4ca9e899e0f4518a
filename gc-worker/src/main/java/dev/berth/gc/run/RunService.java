package dev.berth.gc.run;

import dev.berth.gc.error.GcException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Starts runs (from the API, the schedule, deletion events) and reads them. One run is active at a time: a second
 * request gets the active run's id (409), so two admins never start overlapping sweeps, and a dry run never hides
 * behind a real one. A new run is announced on the bus ({@value WorkerLoop#RUN_STARTED}) so every worker joins.
 */
@ApplicationScoped
public class RunService {
    private static final Logger LOG = Logger.getLogger(RunService.class);
    public static final int MAX_LIMIT = 100;

    private final RunRepository runs;
    private final Collectors collectors;
    private final Vertx vertx;

    public RunService(RunRepository runs, Collectors collectors, Vertx vertx) {
        this.runs = runs;
        this.collectors = collectors;
        this.vertx = vertx;
    }

    /** The body of {@code POST /api/v1/gc/runs}; both fields optional (a real run of every collector). */
    public record RunRequest(Boolean dryRun, List<String> collectors) {
    }

    /** Starts a run for the API; fails with 400 (unknown collectors) or 409 (a run is active). */
    public Uni<Run> start(RunRequest request, String requestedBy) {
        List<String> names = request == null || request.collectors() == null ? collectors.all() : request.collectors();
        TreeSet<String> unknown = new TreeSet<>(names);
        unknown.removeAll(collectors.byName().keySet());
        if (!unknown.isEmpty()) {
            return Uni.createFrom().failure(GcException.unknownCollector("unknown collectors " + unknown
                    + "; known: " + collectors.all()));
        }
        if (names.isEmpty()) {
            return Uni.createFrom().failure(GcException.badRequest("a run needs at least one collector"));
        }
        boolean dryRun = request != null && Boolean.TRUE.equals(request.dryRun());
        RunRepository.NewRun run = new RunRepository.NewRun(UUID.randomUUID(), dryRun, Collectors.ordered(names),
                Trigger.API, requestedBy);
        // the active run can end between the refused insert and the look for it: then the second try starts one
        return runs.create(run, null)
                .chain(created -> created.created() == null && created.active() == null ? runs.create(run, null)
                        : Uni.createFrom().item(created))
                .chain(created -> {
                    if (created.created() == null) {
                        return Uni.createFrom().failure(GcException.runActive(String.valueOf(created.active())));
                    }
                    announce(run);
                    return get(run.id());
                });
    }

    /**
     * Starts a run of {@code collectors} for a schedule or an event unless one is active or (with a recency) one
     * of those triggers started within the period (see {@link RunRepository#create}).
     */
    public Uni<RunRepository.Created> startUnlessActive(List<String> names, String trigger, RunRepository.Recency recency) {
        if (names.isEmpty()) {
            return Uni.createFrom().item(new RunRepository.Created(null, null));
        }
        RunRepository.NewRun run = new RunRepository.NewRun(UUID.randomUUID(), false, Collectors.ordered(names),
                trigger, null);
        return runs.create(run, recency).invoke(created -> {
            if (created.created() != null) {
                announce(run);
            }
        });
    }

    private void announce(RunRepository.NewRun run) {
        LOG.infof("gc run %s started: trigger=%s dryRun=%s collectors=%s requestedBy=%s", run.id(), run.trigger(),
                run.dryRun(), run.collectors(), run.requestedBy());
        vertx.eventBus().publish(WorkerLoop.RUN_STARTED, run.id().toString());
    }

    public Uni<Run> get(UUID id) {
        return runs.find(id).map(run -> run.orElseThrow(() -> GcException.runUnknown(id.toString())));
    }

    public Uni<Run.Page> list(int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            return Uni.createFrom().failure(GcException.badRequest("limit must be between 1 and " + MAX_LIMIT));
        }
        return runs.list(limit).map(Run.Page::new);
    }

    /** Parses a run id of a path; unknown (404) when it is no UUID. */
    public static UUID runId(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw GcException.runUnknown(text);
        }
    }
}
