package dev.berth.it.harness;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        Path jar = ItPaths.moduleDir().resolve("../catalog-service/target/quarkus-app/quarkus-run.jar").normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("catalog-service is not packaged: " + jar + " does not exist. Build it first "
                    + "(./mvnw -B -pl catalog-service -am package -DskipTests)");
        }
        return jar;
    }

    /** Starts catalog-service with extra {@code -Dkey=value} settings (cluster, auth, ...) and waits until it is ready. */
    public static CatalogServiceProcess start(String name, EmbeddedDatabase database, String dbName,
            Map<String, String> properties) {
        Path jar = runnerJar();
        int port = FreePorts.loopbackPort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.datasource.reactive.url=" + database.reactiveUrl(dbName),
                "-Dquarkus.datasource.jdbc.url=" + database.jdbcUrl(dbName),
                "-Dquarkus.datasource.username=" + database.user(),
                "-Dquarkus.datasource.password=" + database.password(),
                "-Dquarkus.log.category.\"dev.berth\".level=DEBUG"));
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        ManagedProcess process = ManagedProcess.start("catalog-service-" + name, command, Map.of(), ItPaths.runWorkDir(),
                Duration.ofSeconds(20));
        CatalogServiceProcess service = new CatalogServiceProcess(name, port, process);
        try {
            service.awaitReady();
        } catch (RuntimeException | Error e) {
            process.close();
            throw e;
        }
        return service;
    }

    private void awaitReady() {
        URI health = URI.create(baseUrl() + "/q/health/ready");
        long started = System.nanoTime();
        long deadline = started + RegistryProcess.READY_TIMEOUT.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("catalog-service " + name + " exited before it was ready:\n" + process.describe());
            }
            last = Http.statusOrMinusOne(health);
            if (last == 200) {
                System.out.printf("[berth-it] catalog-service %s ready on 127.0.0.1:%d in %d ms%n", name, port,
                        (System.nanoTime() - started) / 1_000_000);
                return;
            }
            ManagedProcess.sleep(250);
        }
        throw new AssertionError("catalog-service " + name + " not ready (last status " + last + "):\n" + process.describe());
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
