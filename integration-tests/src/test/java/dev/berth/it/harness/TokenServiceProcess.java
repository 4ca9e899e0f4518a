package dev.berth.it.harness;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One token-service process, started from {@code token-service/target/quarkus-app/quarkus-run.jar} on
 * 127.0.0.1 and a free port, against a PostgreSQL database. Ready when {@code /q/health/ready} answers 200.
 */
public final class TokenServiceProcess implements AutoCloseable {

    private final int port;
    private final ManagedProcess process;

    private TokenServiceProcess(int port, ManagedProcess process) {
        this.port = port;
        this.process = process;
    }

    public static Path runnerJar() {
        Path jar = ItPaths.moduleDir().resolve("../token-service/target/quarkus-app/quarkus-run.jar").normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("token-service is not packaged: " + jar + " does not exist. Build it first "
                    + "(./mvnw -B -pl token-service -am package -DskipTests)");
        }
        return jar;
    }

    /** Starts token-service with extra {@code -Dkey=value} settings (Keycloak, federation, ...). */
    public static TokenServiceProcess start(String name, EmbeddedDatabase database, String dbName, Map<String, String> properties) {
        Path jar = runnerJar();
        int port = FreePorts.loopbackPort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.datasource.jdbc.url=" + database.jdbcUrl(dbName),
                "-Dquarkus.datasource.username=" + database.user(),
                "-Dquarkus.datasource.password=" + database.password(),
                "-Dquarkus.log.category.\"dev.berth\".level=DEBUG"));
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        ManagedProcess process = ManagedProcess.start("token-service-" + name, command, Map.of(), ItPaths.runWorkDir(),
                Duration.ofSeconds(20));
        TokenServiceProcess service = new TokenServiceProcess(port, process);
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
                throw new AssertionError("token-service exited before it was ready:\n" + process.describe());
            }
            last = Http.statusOrMinusOne(health);
            if (last == 200) {
                System.out.printf("[berth-it] token-service ready on 127.0.0.1:%d in %d ms%n", port,
                        (System.nanoTime() - started) / 1_000_000);
                return;
            }
            ManagedProcess.sleep(250);
        }
        throw new AssertionError("token-service not ready (last status " + last + "):\n" + process.describe());
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** The token endpoint, the {@code realm} registry-api names in its challenges. */
    public String realm() {
        return baseUrl() + "/token";
    }

    public ManagedProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return "token-service at " + baseUrl();
    }
}
