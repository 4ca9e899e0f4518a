package dev.berth.gc.collector;

import java.time.Duration;

/** When a candidate of the queues is looked at again if it could not be decided now. */
public final class Postponed {
    /**
     * A candidate whose row another transaction holds locked (a push or an upload using it right now) is looked at
     * again after this long, not at once: the pass would otherwise spin on it.
     */
    public static final Duration BUSY = Duration.ofSeconds(30);

    private Postponed() {
    }
}
