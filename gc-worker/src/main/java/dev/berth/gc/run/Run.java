package dev.berth.gc.run;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A garbage collection run as the API shows it (docs/garbage-collection.md, "Runs").
 *
 * @param state      {@code running}, {@code completed} or {@code failed}
 * @param collectors the collectors of the run, in the order each worker runs them
 * @param trigger    {@code api}, {@code schedule} (incremental), {@code full-schedule} or {@code event}
 * @param workers    the workers that took part
 * @param progress   the last progress line of each collector that reported one
 * @param results    per collector, in run order: objects and bytes deleted (or, in a dry run, to be deleted), errors
 * @param error      why the run failed (the collectors that failed and their errors); null otherwise
 */
public record Run(UUID id, String state, boolean dryRun, List<String> collectors, String trigger, String requestedBy,
        Instant createdAt, Instant finishedAt, List<Worker> workers, Map<String, String> progress,
        Map<String, Result> results, String error) {

    public static final String RUNNING = "running";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";

    /** A worker of the run: its last heartbeat, and when it finished its part (null while working). */
    public record Worker(String name, Instant heartbeatAt, Instant finishedAt) {
    }

    /** What a collector did in the run, summed over the workers. */
    public record Result(long objects, long bytes, long errors, String lastError) {
    }

    /** The body of {@code GET /api/v1/gc/runs}: newest first. */
    public record Page(List<Run> runs) {
    }
}
