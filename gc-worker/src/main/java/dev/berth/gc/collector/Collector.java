package dev.berth.gc.collector;

/**
 * One kind of garbage: blobs, links, untagged manifests, retention, stale uploads, storage orphans, objects. A run
 * calls the collectors it names; each decides and deletes in batches, from a worker thread of its own (statements are
 * awaited there, never on an event loop), and reports what it did (or, in a dry run, would do) to {@link RunScope}.
 *
 * <p>{@link Mode#SHARED} collectors are run by every worker taking part in a run at the same time: they claim their
 * batches with {@code FOR UPDATE SKIP LOCKED}, so no item is processed twice. {@link Mode#SINGLE} collectors (scans,
 * policies) are run by one worker per run, the one that claims them.
 */
public interface Collector {

    /** The name in the admin API and metrics: {@code blobs}, {@code links}, {@code untagged}, ... */
    String name();

    Mode mode();

    /**
     * Does this collector's share of a run: until nothing more is due or {@code scope} says stop. Returns normally
     * when done; throws on a failure (the run records it, the worker goes on with the next collector).
     */
    void collect(RunScope scope) throws Exception;

    enum Mode {
        SHARED, SINGLE
    }
}
