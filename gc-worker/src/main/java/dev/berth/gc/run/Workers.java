package dev.berth.gc.run;

import dev.berth.gc.config.GcConfig;
import dev.berth.gc.metrics.GcMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;

/** Starts this process's {@link WorkerLoop} (unless gc.worker-enabled=false) and stops it on shutdown. */
@ApplicationScoped
public class Workers {
    /** How long a stopping worker lets its collector finish the batch at hand before it gives up its part. */
    static final Duration STOP_WAIT = Duration.ofSeconds(8);

    private final GcConfig config;
    private final Collectors collectors;
    private final RunRepository runs;
    private final GcMetrics metrics;
    private final Vertx vertx;
    private WorkerLoop loop;

    public Workers(GcConfig config, Collectors collectors, RunRepository runs, GcMetrics metrics, Vertx vertx) {
        this.config = config;
        this.collectors = collectors;
        this.runs = runs;
        this.metrics = metrics;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent start) {
        if (config.workerEnabled()) {
            loop = create(config.workerName().orElseGet(Workers::defaultName));
            loop.start();
        }
    }

    void stop(@Observes ShutdownEvent stop) {
        if (loop != null) {
            loop.stop(STOP_WAIT);
        }
    }

    /** A loop with this process's collectors and settings under {@code name} (not started). */
    public WorkerLoop create(String name) {
        return new WorkerLoop(name, collectors.byName(), runs, metrics, vertx, config.pollInterval(),
                config.workerLease());
    }

    /** The process's loop; null when gc.worker-enabled=false. */
    public WorkerLoop loop() {
        return loop;
    }

    /** Host name (a pod's name in Kubernetes) and process id: unique among running workers. */
    static String defaultName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "gc-worker";
            }
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
