package dev.berth.it.harness;

import java.net.URI;
import java.nio.file.Path;
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
        return ServiceLauncher.runnerJar("token-service");
    }

    /** Starts token-service with extra {@code -Dkey=value} settings (Keycloak, federation, ...). */
    public static TokenServiceProcess start(String name, EmbeddedDatabase database, String dbName, Map<String, String> properties) {
        return start(name, database, dbName, null, properties);
    }

    /** As {@link #start(String, EmbeddedDatabase, String, Map)} on a given port (a restart keeps its address). */
    public static TokenServiceProcess start(String name, int port, EmbeddedDatabase database, String dbName,
            Map<String, String> properties) {
        return start(name, port, database, dbName, null, properties);
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
        return start(name, FreePorts.loopbackPort(), database, dbName, certs, properties);
    }

    private static TokenServiceProcess start(String name, int port, EmbeddedDatabase database, String dbName, Path certs,
            Map<String, String> properties) {
        Path jar = runnerJar();
        int plainPort = certs == null ? port : FreePorts.loopbackPort();
        List<String> command = ServiceLauncher.command(plainPort, database, dbName, false);
        if (certs != null) {
            command.addAll(List.of("-Dquarkus.http.ssl-port=" + port,
                    "-Dquarkus.http.ssl.certificate.files=" + certs.resolve("server.crt"),
                    "-Dquarkus.http.ssl.certificate.key-files=" + certs.resolve("server.key"),
                    "-Dquarkus.http.insecure-requests=disabled"));
        }
        ManagedProcess process = ServiceLauncher.start("token-service-" + name, command, properties, jar);
        TokenServiceProcess service = new TokenServiceProcess(port, plainPort,
                certs == null ? null : certs.resolve("ca.crt"), process);
        ServiceLauncher.awaitReady("token-service", process, URI.create(service.baseUrl() + "/q/health/ready"),
                health -> service.caCertificate == null ? Http.statusOrMinusOne(health)
                        : Http.statusOrMinusOne(service.client(), health));
        return service;
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
