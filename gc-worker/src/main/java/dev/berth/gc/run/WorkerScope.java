package dev.berth.gc.run;

import dev.berth.gc.collector.RunScope;
import dev.berth.gc.metrics.GcMetrics;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/** A worker's {@link RunScope}: reports go straight to the run's rows (+=) and to the metrics. */
final class WorkerScope implements RunScope {
    private static final Logger LOG = Logger.getLogger(WorkerScope.class);
    /** Long texts are cut: an error message of a storage driver can be a whole response body. */
    private static final int MAX_TEXT = 2000;

    private final RunRepository runs;
    private final GcMetrics metrics;
    private final UUID runId;
    private final boolean dryRun;
    private final BooleanSupplier stopping;

    WorkerScope(RunRepository runs, GcMetrics metrics, UUID runId, boolean dryRun, BooleanSupplier stopping) {
        this.runs = runs;
        this.metrics = metrics;
        this.runId = runId;
        this.dryRun = dryRun;
        this.stopping = stopping;
    }

    @Override
    public UUID runId() {
        return runId;
    }

    @Override
    public boolean dryRun() {
        return dryRun;
    }

    @Override
    public boolean stopping() {
        return stopping.getAsBoolean();
    }

    @Override
    public void report(String collector, long objects, long bytes) {
        if (objects == 0 && bytes == 0) {
            return;
        }
        runs.report(runId, collector, objects, bytes);
        if (!dryRun) {
            metrics.reclaimed(collector, objects, bytes);
        }
    }

    @Override
    public void error(String collector, String message) {
        LOG.warnf("gc run %s: %s: %s", runId, collector, message);
        metrics.error(collector);
        runs.error(runId, collector, cut(message));
    }

    @Override
    public void progress(String collector, String message) {
        runs.progress(runId, collector, cut(message));
    }

    static String cut(String text) {
        return text == null || text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT - 3) + "...";
    }
}
