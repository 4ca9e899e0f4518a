package dev.berth.registry.outbox;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test bean: the {@link EventsCommitted} notifications, as the relay would receive them. */
@ApplicationScoped
public class CommittedEventsRecorder {
    private final List<Integer> counts = new CopyOnWriteArrayList<>();

    void on(@Observes EventsCommitted committed) {
        counts.add(committed.count());
    }

    /** The event counts notified so far, in order. */
    public List<Integer> counts() {
        return List.copyOf(counts);
    }
}
