package dev.berth.gc.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * gc-worker's metrics at {@code /q/metrics}: {@code berth_gc_runs_total{state,trigger}} (runs ended, counted by the
 * worker that completed them), {@code berth_gc_reclaimed_objects_total} and {@code berth_gc_reclaimed_bytes_total}
 * {collector} (deleted by this worker; dry runs do not count), {@code berth_gc_run_duration_seconds},
 * {@code berth_gc_errors_total{collector}} and {@code berth_gc_backlog{queue}} (rows due now, see
 * {@link BacklogGauge}).
 */
@ApplicationScoped
public class GcMetrics {
    public static final String[] QUEUES = {"links", "blobs", "objects"};

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> backlog = Map.of("links", new AtomicLong(), "blobs", new AtomicLong(),
            "objects", new AtomicLong());

    public GcMetrics(MeterRegistry registry) {
        this.registry = registry;
        backlog.forEach((queue, value) -> Gauge.builder("berth.gc.backlog", value, AtomicLong::doubleValue)
                .tag("queue", queue).description("Rows due now in the garbage collection queue").register(registry));
    }

    public void runEnded(String state, String trigger, Duration duration) {
        Counter.builder("berth.gc.runs").tag("state", state).tag("trigger", trigger)
                .description("Garbage collection runs ended").register(registry).increment();
        Timer.builder("berth.gc.run.duration").description("Duration of garbage collection runs").register(registry)
                .record(duration);
    }

    public void reclaimed(String collector, long objects, long bytes) {
        Counter.builder("berth.gc.reclaimed.objects").tag("collector", collector)
                .description("Objects deleted by garbage collection").register(registry).increment(objects);
        Counter.builder("berth.gc.reclaimed.bytes").tag("collector", collector)
                .description("Bytes deleted by garbage collection").baseUnit("bytes").register(registry).increment(bytes);
    }

    public void error(String collector) {
        Counter.builder("berth.gc.errors").tag("collector", collector)
                .description("Errors of garbage collectors").register(registry).increment();
    }

    void backlog(String queue, long rows) {
        backlog.get(queue).set(rows);
    }
}
