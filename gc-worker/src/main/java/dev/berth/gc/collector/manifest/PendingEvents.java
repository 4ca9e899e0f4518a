package dev.berth.gc.collector.manifest;

import io.vertx.mutiny.core.eventbus.EventBus;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Wakes registry-api's outbox relay after the policy collectors committed events (an empty message on
 * {@code berth.outbox.pending}; harmless when nobody listens: the relay finds the rows at its next poll).
 * To be replaced by gc-worker's shared outbox writer when it exists.
 */
@ApplicationScoped
public class PendingEvents {
    public static final String ADDRESS = "berth.outbox.pending";

    private final EventBus bus;

    public PendingEvents(EventBus bus) {
        this.bus = bus;
    }

    public void committed() {
        bus.publish(ADDRESS, "");
    }
}
