package dev.berth.gc.run;

import dev.berth.gc.collector.Collector;
import io.quarkus.arc.All;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The collectors of this worker (every {@link Collector} bean), by name, and the order of a run: policies first
 * (they make garbage), then the scans, then links before blobs before objects (each makes the next one's work).
 */
@ApplicationScoped
public class Collectors {
    /** The documented run order; collectors not named here run after these, by name. */
    public static final List<String> ORDER = List.of("retention", "untagged", "mark", "uploads", "orphans", "links",
            "blobs", "objects");
    /** The collectors of an incremental run (the ones fed by the candidate queues, and stale uploads). */
    public static final List<String> INCREMENTAL = List.of("links", "blobs", "objects", "uploads");

    private final Map<String, Collector> byName = new LinkedHashMap<>();

    public Collectors(@All List<Collector> collectors) {
        for (Collector collector : collectors) {
            Collector before = byName.put(collector.name(), collector);
            if (before != null) {
                throw new IllegalStateException("two collectors named " + collector.name() + ": "
                        + before.getClass().getName() + ", " + collector.getClass().getName());
            }
        }
    }

    public Map<String, Collector> byName() {
        return byName;
    }

    /** The names in run order. */
    public static List<String> ordered(Collection<String> names) {
        List<String> sorted = new ArrayList<>(names.stream().distinct().toList());
        sorted.sort(Comparator.<String>comparingInt(n -> ORDER.contains(n) ? ORDER.indexOf(n) : ORDER.size())
                .thenComparing(Comparator.naturalOrder()));
        return sorted;
    }

    /** Every collector of this worker, in run order (a full run). */
    public List<String> all() {
        return ordered(byName.keySet());
    }

    /** The incremental collectors this worker has, in run order. */
    public List<String> incremental() {
        return ordered(INCREMENTAL.stream().filter(byName::containsKey).toList());
    }
}
