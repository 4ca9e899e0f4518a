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
    /** With TLS: the CA the server certificate is signed by; null for plain HTTP. */
    private final Path caCertificate;
    /** With TLS: the (never opened) plain HTTP port configured as quarkus.http.port; otherwise the same as port. */
    private final int plainPort;
    private final java.net.http.HttpClient client;

    private TokenServiceProcess(int port, int plainPort, Path caCertificate, ManagedProcess process) {
        this.client = caCertificate == null ? Http.client() : Http.trusting(caCertificate);
        this.port = port;
        this.plainPort = plainPort;
        this.caCertificate = caCertificate;
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
        return start(name, database, dbName, null, properties);
    }

    /**
     * As {@link #start(String, EmbeddedDatabase, String, Map)}, serving HTTPS only with the certificates of
     * {@code deploy/local/make-certs} in {@code certs} ({@code server.crt}, {@code server.key}, {@code ca.crt}):
     * {@code quarkus.http.insecure-requests=disabled}, so the plain HTTP port is never opened.
     */
    public static TokenServiceProcess startTls(String name, EmbeddedDatabase database, String dbName, Path certs,
            Map<String, String> properties) {
        return start(name, database, dbName, certs, properties);
    }

    private static TokenServiceProcess start(String name, EmbeddedDatabase database, String dbName, Path certs,
            Map<String, String> properties) {
        Path jar = runnerJar();
        int port = FreePorts.loopbackPort();
        int plainPort = certs == null ? port : FreePorts.loopbackPort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + plainPort,
                "-Dquarkus.datasource.jdbc.url=" + database.jdbcUrl(dbName),
                "-Dquarkus.datasource.username=" + database.user(),
                "-Dquarkus.datasource.password=" + database.password(),
                "-Dquarkus.log.category.\"dev.berth\".level=DEBUG"));
        if (certs != null) {
            command.addAll(List.of("-Dquarkus.http.ssl-port=" + port,
                    "-Dquarkus.http.ssl.certificate.files=" + certs.resolve("server.crt"),
                    "-Dquarkus.http.ssl.certificate.key-files=" + certs.resolve("server.key"),
                    "-Dquarkus.http.insecure-requests=disabled"));
        }
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        ManagedProcess process = ManagedProcess.start("token-service-" + name, command, Map.of(), ItPaths.runWorkDir(),
                Duration.ofSeconds(20));
        TokenServiceProcess service = new TokenServiceProcess(port, plainPort,
                certs == null ? null : certs.resolve("ca.crt"), process);
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
            last = caCertificate == null ? Http.statusOrMinusOne(health) : Http.statusOrMinusOne(client(), health);
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
        return (caCertificate == null ? "http" : "https") + "://127.0.0.1:" + port;
    }

    /** The port that quarkus.http.port names: with TLS it must stay closed. */
    public int plainPort() {
        return plainPort;
    }

    /** An HTTP client for this service: trusting its CA when it serves HTTPS. */
    public java.net.http.HttpClient client() {
        return client;
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
