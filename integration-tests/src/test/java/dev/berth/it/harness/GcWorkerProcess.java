package dev.berth.it.harness;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One gc-worker process, started from {@code gc-worker/target/quarkus-app/quarkus-run.jar} on 127.0.0.1 and a free
 * port, against the registry's PostgreSQL database (its runs in schema {@code gc}) and the registry's store: a
 * filesystem root, or what the properties configure ({@code registry.storage.*} of an S3 bucket). Not clustered
 * unless the properties say so (a {@link TestCluster}'s). Ready when {@code /q/health/ready} answers 200.
 */
public final class GcWorkerProcess extends ServiceProcess {

    private GcWorkerProcess(String name, int port, ManagedProcess process) {
        super("gc-worker " + name, port, process);
    }

    public static Path runnerJar() {
        return ServiceLauncher.runnerJar("gc-worker");
    }

    /**
     * Starts gc-worker with {@code storage} as the filesystem root (null for S3, configured by the properties) and
     * extra {@code -Dkey=value} settings (gc.*, cluster, ...), and waits until it is ready.
     */
    public static GcWorkerProcess start(String name, EmbeddedDatabase database, String dbName, Path storage,
            Map<String, String> properties) {
        return start(name, FreePorts.loopbackPort(), database, dbName, storage, properties);
    }

    /** As {@link #start(String, EmbeddedDatabase, String, Path, Map)} on a given port (a restart keeps its address). */
    public static GcWorkerProcess start(String name, int port, EmbeddedDatabase database, String dbName, Path storage,
            Map<String, String> properties) {
        Path jar = runnerJar();
        List<String> command = ServiceLauncher.command(port, database, dbName, true);
        Map<String, String> settings = new LinkedHashMap<>();
        if (storage != null) {
            settings.put("registry.storage.filesystem.root", storage.toString());
        }
        // one process unless a test clusters on purpose, as RegistryProcess
        settings.put("quarkus.vertx.cluster.clustered", "false");
        settings.put("gc.worker-name", "it-" + name);
        settings.putAll(properties);
        ManagedProcess process = ServiceLauncher.start("gc-worker-" + name, command, settings, jar);
        GcWorkerProcess worker = new GcWorkerProcess(name, port, process);
        ServiceLauncher.awaitReady("gc-worker " + name, process, worker.uri("/q/health/ready"), Http::statusOrMinusOne);
        return worker;
    }
}
