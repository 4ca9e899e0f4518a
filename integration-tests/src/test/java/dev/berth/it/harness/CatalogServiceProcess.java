package dev.berth.it.harness;

import java.nio.file.Path;
import java.util.Map;

/**
 * One catalog-service process, started from {@code catalog-service/target/quarkus-app/quarkus-run.jar} on 127.0.0.1
 * and a free port, against the registry's PostgreSQL database (its read model in schema {@code catalog}). Ready when
 * {@code /q/health/ready} answers 200.
 */
public final class CatalogServiceProcess extends ServiceProcess {

    private CatalogServiceProcess(String name, int port, ManagedProcess process) {
        super("catalog-service " + name, port, process);
    }

    public static Path runnerJar() {
        return ServiceLauncher.runnerJar("catalog-service");
    }

    /** Starts catalog-service with extra {@code -Dkey=value} settings (cluster, auth, ...) and waits until it is ready. */
    public static CatalogServiceProcess start(String name, EmbeddedDatabase database, String dbName,
            Map<String, String> properties) {
        return start(name, FreePorts.loopbackPort(), database, dbName, properties);
    }

    /** As {@link #start(String, EmbeddedDatabase, String, Map)} on a given port (a restart keeps its address). */
    public static CatalogServiceProcess start(String name, int port, EmbeddedDatabase database, String dbName,
            Map<String, String> properties) {
        Path jar = runnerJar();
        ManagedProcess process = ServiceLauncher.start("catalog-service-" + name,
                ServiceLauncher.command(port, database, dbName, true), properties, jar);
        CatalogServiceProcess service = new CatalogServiceProcess(name, port, process);
        ServiceLauncher.awaitReady("catalog-service " + name, process, service.uri("/q/health/ready"), Http::statusOrMinusOne);
        return service;
    }
}
