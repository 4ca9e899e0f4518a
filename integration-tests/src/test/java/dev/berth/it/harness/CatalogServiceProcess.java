package dev.berth.it.harness;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * One catalog-service process, started from {@code catalog-service/target/quarkus-app/quarkus-run.jar} on 127.0.0.1
 * and a free port, against the registry's PostgreSQL database (its read model in schema {@code catalog}). Ready when
 * {@code /q/health/ready} answers 200.
 */
public final class CatalogServiceProcess implements AutoCloseable {

    private final String name;
    private final int port;
    private final ManagedProcess process;

    private CatalogServiceProcess(String name, int port, ManagedProcess process) {
        this.name = name;
        this.port = port;
        this.process = process;
    }

    public static Path runnerJar() {
        return ServiceLauncher.runnerJar("catalog-service");
    }

    /** Starts catalog-service with extra {@code -Dkey=value} settings (cluster, auth, ...) and waits until it is ready. */
    public static CatalogServiceProcess start(String name, EmbeddedDatabase database, String dbName,
            Map<String, String> properties) {
        Path jar = runnerJar();
        int port = FreePorts.loopbackPort();
        ManagedProcess process = ServiceLauncher.start("catalog-service-" + name,
                ServiceLauncher.command(port, database, dbName, true), properties, jar);
        CatalogServiceProcess service = new CatalogServiceProcess(name, port, process);
        ServiceLauncher.awaitReady("catalog-service " + name, process, service.uri("/q/health/ready"), Http::statusOrMinusOne);
        return service;
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public URI uri(String pathAndQuery) {
        return URI.create(baseUrl() + pathAndQuery);
    }

    public ManagedProcess process() {
        return process;
    }

    /** kill -9, waiting until the process is gone. */
    public void kill9() {
        process.kill9();
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return "catalog-service " + name + " at " + baseUrl();
    }
}
