package dev.berth.gc.collector;

import java.util.UUID;

/** What a collector knows of the run it works for, and where it reports. Thread-safe. */
public interface RunScope {

    UUID runId();

    /** In a dry run nothing is changed: collectors report what they would delete. */
    boolean dryRun();

    /** Whether the collector should stop early (the worker is shutting down, or the run was failed elsewhere). */
    boolean stopping();

    /**
     * Adds to the run's results of {@code collector}: objects (blobs, links, manifests, tags, uploads...) deleted, or
     * in a dry run to be deleted, and their bytes. Called after each committed batch, so that progress is visible
     * while the run goes on.
     */
    void report(String collector, long objects, long bytes);

    /** Counts an error of {@code collector} that did not stop it (one object that could not be deleted). */
    void error(String collector, String message);

    /** A line of progress for the run's status (the last one is shown by {@code GET /api/v1/gc/runs/{id}}). */
    void progress(String collector, String message);
}
