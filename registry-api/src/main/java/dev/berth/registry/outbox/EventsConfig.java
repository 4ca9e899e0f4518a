package dev.berth.registry.outbox;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * {@code berth.events.*}: the outbox relay that positions and publishes events, and the pruning of published
 * events. Each default here is the documented one (docs/events.md, "Relay").
 */
@ConfigMapping(prefix = "berth.events")
public interface EventsConfig {

    Relay relay();

    /**
     * How long a published event stays in the outbox at least. A row is pruned once it is older than this
     * <em>and</em> every registered consumer has applied it; with no consumer registered, age alone decides.
     */
    @WithDefault("7d")
    Duration retention();

    /** How often the relay replica prunes. */
    @WithDefault("10m")
    Duration pruneInterval();

    interface Relay {
        /**
         * How long the relay replica's lease lasts without a renewal: after a replica dies, another takes over
         * within this time (a replica that shuts down releases the lease, and another takes over at once).
         */
        @WithDefault("5s")
        Duration lease();

        /** How often every replica renews (or tries to take) the lease; well below {@link #lease()}. */
        @WithDefault("1s")
        Duration renewInterval();

        /** Pause between two rounds when nothing woke the relay; a commit on any replica wakes it at once. */
        @WithDefault("100ms")
        Duration pollInterval();

        /** Most events one round positions (one transaction) and then publishes. */
        @WithDefault("500")
        int batchSize();
    }
}
