package dev.berth.gc.run;

import dev.berth.gc.collector.Collector;
import dev.berth.gc.metrics.GcMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * One worker's part in the runs: every gc.poll-interval, and at once when a run starts anywhere (bus address
 * {@value #RUN_STARTED}), it looks for running runs, takes part (a {@code run_worker} row kept alive by a
 * heartbeat) and runs the run's collectors in order on a thread of its own: the SHARED ones always (they split the
 * work by row locks), the SINGLE ones when it claims them. Then it takes over SINGLE steps of workers that died
 * (heartbeat older than gc.worker-lease), finishes its part and completes the run when nothing is left to do.
 */
public class WorkerLoop {
    private static final Logger LOG = Logger.getLogger(WorkerLoop.class);
    /** Published (body: the run id) when a run is created, so that every worker joins without waiting for its poll. */
    public static final String RUN_STARTED = "berth.gc.run.started";

    private final String name;
    private final Map<String, Collector> collectors;
    private final RunRepository runs;
    private final GcMetrics metrics;
    private final Vertx vertx;
    private final Duration pollInterval;
    private final Duration lease;
    private final ExecutorService thread;
    private final AtomicBoolean pollQueued = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile UUID current;
    private long pollTimer = -1;
    private long heartbeatTimer = -1;
    private MessageConsumer<Object> wakeUps;

    public WorkerLoop(String name, Map<String, Collector> collectors, RunRepository runs, GcMetrics metrics,
            Vertx vertx, Duration pollInterval, Duration lease) {
        this.name = name;
        this.collectors = Map.copyOf(collectors);
        this.runs = runs;
        this.metrics = metrics;
        this.vertx = vertx;
        this.pollInterval = pollInterval;
        this.lease = lease;
        this.thread = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(task, "gc-run-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    public String name() {
        return name;
    }

    public synchronized void start() {
        pollTimer = vertx.setPeriodic(Math.max(1, pollInterval.toMillis()), id -> wake());
        // several beats per lease, so that one late beat (a GC pause, a slow database) does not cost the part
        heartbeatTimer = vertx.setPeriodic(Math.max(100, lease.toMillis() / 3), id -> heartbeat());
        wakeUps = vertx.eventBus().consumer(RUN_STARTED, message -> wake());
        LOG.infof("gc worker %s takes part in runs (poll every %s, lease %s, collectors %s)", name, pollInterval,
                lease, Collectors.ordered(collectors.keySet()));
        wake();
    }

    /** Looks for runs now (a queued look is not queued twice). */
    public void wake() {
        if (!stopping && pollQueued.compareAndSet(false, true)) {
            try {
                thread.execute(this::poll);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                pollQueued.set(false);
            }
        }
    }

    /**
     * Stops: the collector at work is asked to stop ({@link dev.berth.gc.collector.RunScope#stopping}); when it
     * does within {@code wait}, the worker hands back its unfinished SINGLE steps so that others take them over at
     * once (otherwise after the lease).
     */
    public void stop(Duration wait) {
        stopping = true;
        synchronized (this) {
            vertx.cancelTimer(pollTimer);
            vertx.cancelTimer(heartbeatTimer);
            if (wakeUps != null) {
                wakeUps.unregister();
            }
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("gc worker %s: a collector did not stop within %s; its part is taken over after the lease",
                        name, wait);
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void heartbeat() {
        if (current == null || stopping) {
            return;
        }
        runs.heartbeat(name).subscribe().with(n -> {
        }, e -> LOG.warnf("gc worker %s: heartbeat failed: %s", name, e.getMessage()));
    }

    private void poll() {
        pollQueued.set(false);
        try {
            for (RunRepository.ActiveRun run : runs.activeRuns()) {
                if (stopping) {
                    return;
                }
                takePart(run);
            }
        } catch (RuntimeException e) {
            // the database is away, most likely: the next poll tries again
            LOG.warnf("gc worker %s: %s", name, e.toString());
        }
    }

    private void takePart(RunRepository.ActiveRun run) {
        RunRepository.Participation participation = runs.join(run.id(), name);
        if (participation == RunRepository.Participation.ENDED) {
            return;
        }
        current = run.id();
        try {
            if (participation != RunRepository.Participation.FINISHED) {
                LOG.debugf("gc worker %s: run %s (%s)", name, run.id(), participation);
                for (String collector : run.collectors()) {
                    if (stopping) {
                        leave(run.id());
                        return;
                    }
                    runStep(run, collector);
                }
            }
            if (stopping) {
                leave(run.id());
                return;
            }
            boolean finishedBefore = participation == RunRepository.Participation.FINISHED;
            Boolean rejoined = takeOver(run, finishedBefore);
            if (rejoined == null) {
                return;
            }
            if (!finishedBefore || rejoined) {
                runs.finishWorker(run.id(), name);
            }
        } finally {
            current = null;
        }
        RunRepository.Completed completed = runs.completeIfDone(run.id(), lease);
        if (completed != null) {
            ended(completed);
        }
    }

    /** Runs the SINGLE steps nobody alive holds any more; whether it had to rejoin; null when stopping. */
    private Boolean takeOver(RunRepository.ActiveRun run, boolean finishedBefore) {
        List<String> mine = new ArrayList<>(collectors.keySet());
        boolean rejoined = false;
        List<String> orphaned;
        while (!(orphaned = runs.orphanedSteps(run.id(), mine, lease)).isEmpty()) {
            if (stopping) {
                leave(run.id());
                return null;
            }
            if (finishedBefore && !rejoined) {
                runs.rejoin(run.id(), name);
                rejoined = true;
            }
            for (String collector : Collectors.ordered(orphaned)) {
                LOG.infof("gc worker %s: run %s: taking over %s", name, run.id(), collector);
                runStep(run, collector);
            }
        }
        return rejoined;
    }

    private void runStep(RunRepository.ActiveRun run, String name) {
        Collector collector = collectors.get(name);
        if (collector == null) {
            // a worker of another version: those that have it run it
            LOG.debugf("gc worker %s: no collector %s here", this.name, name);
            return;
        }
        // a dry run locks nothing, so workers cannot split a SHARED queue: each would count all of it. One does.
        boolean single = collector.mode() == Collector.Mode.SINGLE || run.dryRun();
        if (single) {
            if (!runs.claim(run.id(), name, this.name, lease)) {
                return;
            }
        } else {
            runs.startShared(run.id(), name);
        }
        String error = null;
        try {
            collector.collect(new WorkerScope(runs, metrics, run.id(), run.dryRun(), () -> stopping));
        } catch (Exception | Error e) {
            error = WorkerScope.cut(e.toString());
            LOG.errorf(e, "gc worker %s: run %s: collector %s failed", this.name, run.id(), name);
            metrics.error(name);
            runs.error(run.id(), name, error);
        }
        if (stopping && error == null) {
            // stopped early: not done; a SINGLE step is handed back by leave(), a SHARED one others finish
            return;
        }
        runs.finishStep(run.id(), name, single ? this.name : null, error);
    }

    private void leave(UUID runId) {
        try {
            runs.leave(runId, name);
        } catch (RuntimeException e) {
            LOG.warnf("gc worker %s: could not hand back run %s (taken over after the lease): %s", name, runId,
                    e.getMessage());
        }
    }

    private void ended(RunRepository.Completed run) {
        metrics.runEnded(run.state(), run.trigger(), run.duration());
        StringBuilder line = new StringBuilder();
        run.results().forEach((collector, r) -> line.append(' ').append(collector).append('=').append(r.objects())
                .append(" objects/").append(r.bytes()).append(" bytes/").append(r.errors()).append(" errors"));
        LOG.infof("gc run %s %s: trigger=%s dryRun=%s duration=%s%s%s", run.id(), run.state(), run.trigger(),
                run.dryRun(), run.duration(), line, run.error() == null ? "" : " error=" + run.error());
    }
}
