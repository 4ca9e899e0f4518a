package dev.berth.devtools.keycloak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Keycloak ({@code org.keycloak:keycloak-quarkus-dist}, unpacked by registry-devtools' build into
 * {@code registry-devtools/target/keycloak/keycloak-VERSION}) started in development mode on 127.0.0.1 with the
 * Berth realm ({@code deploy/keycloak/berth-realm.json}) imported. Its database is in memory
 * ({@code --db=dev-mem}), so every start begins from the realm file. Usable from tests (see
 * {@code KeycloakTestResource}), from the integration tests and from {@code deploy/local/up --keycloak}
 * ({@link #main}).
 *
 * <pre>
 * try (KeycloakServer keycloak = KeycloakServer.start(KeycloakServer.Options.defaults())) {
 *     String issuer = keycloak.issuer();   // http://127.0.0.1:PORT/realms/berth
 * }
 * </pre>
 */
public final class KeycloakServer implements AutoCloseable {

    public static final String VERSION = "26.7.3";
    public static final String REALM = "berth";
    /** Master realm administrator created at start ({@code KC_BOOTSTRAP_ADMIN_*}); loopback development only. */
    public static final String ADMIN_USER = "admin";
    public static final String ADMIN_PASSWORD_DEFAULT = "berth-dev-admin";
    /** The confidential client of token-service in the realm file, and its development secret. */
    public static final String TOKEN_SERVICE_CLIENT = "berth-token-service";
    public static final String TOKEN_SERVICE_SECRET = "berth-token-service-dev-secret";
    public static final String READY_PREFIX = "Keycloak ready on ";

    /* -Dberth.keycloak.start-timeout-seconds: a machine busy with other builds needs longer for the first start */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(Long.getLong("berth.keycloak.start-timeout-seconds", 300));
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    private final Process process;
    private final int port;
    private final Path log;
    private final String adminPassword;

    private KeycloakServer(Process process, int port, Path log, String adminPassword) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.adminPassword = adminPassword;
    }

    /** Where to find Keycloak and the realm, and how to run it. */
    public record Options(Path home, Path realmFile, int port, Path logFile, String adminPassword) {

        /** The unpacked distribution and the realm file of this checkout, a free port, a log under target/. */
        public static Options defaults() {
            Path home = defaultHome();
            return new Options(home, defaultRealmFile(), 0, home.getParent().resolve("logs"), ADMIN_PASSWORD_DEFAULT);
        }

        public Options withPort(int newPort) {
            return new Options(home, realmFile, newPort, logFile, adminPassword);
        }

        public Options withLogFile(Path file) {
            return new Options(home, realmFile, port, file, adminPassword);
        }

        public Options withAdminPassword(String password) {
            return new Options(home, realmFile, port, logFile, password);
        }
    }

    /**
     * The Keycloak distribution: {@code -Dberth.keycloak.home} or {@code BERTH_KEYCLOAK_HOME}, else
     * {@code registry-devtools/target/keycloak/keycloak-VERSION} of the checkout around the working directory.
     */
    public static Path defaultHome() {
        String configured = setting("berth.keycloak.home", "BERTH_KEYCLOAK_HOME");
        if (configured != null) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        return checkoutRoot().resolve("registry-devtools/target/keycloak/keycloak-" + VERSION);
    }

    /** The realm file: {@code -Dberth.keycloak.realm-file} or {@code BERTH_KEYCLOAK_REALM_FILE}, else deploy/keycloak/berth-realm.json. */
    public static Path defaultRealmFile() {
        String configured = setting("berth.keycloak.realm-file", "BERTH_KEYCLOAK_REALM_FILE");
        if (configured != null) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        return checkoutRoot().resolve("deploy/keycloak/berth-realm.json");
    }

    /** The folder holding {@code deploy/keycloak/berth-realm.json}, searched from the working directory upwards. */
    public static Path checkoutRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("deploy/keycloak/berth-realm.json"))) {
                return d;
            }
        }
        throw new IllegalStateException("no Berth checkout (deploy/keycloak/berth-realm.json) around " + dir
                + "; set -Dberth.keycloak.home and -Dberth.keycloak.realm-file");
    }

    private static String setting(String property, String env) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? null : value;
    }

    /** Starts Keycloak and waits until the realm answers (up to 5 minutes: the first start builds Keycloak). */
    public static KeycloakServer start(Options options) {
        Path home = options.home();
        Path kcSh = home.resolve("bin/kc.sh");
        if (!Files.isRegularFile(kcSh)) {
            throw new IllegalStateException("Keycloak " + VERSION + " is not unpacked at " + home
                    + ": build registry-devtools first (./mvnw -B -pl registry-devtools generate-resources), "
                    + "which unpacks org.keycloak:keycloak-quarkus-dist:" + VERSION + ":zip there");
        }
        kcSh.toFile().setExecutable(true);
        if (!Files.isRegularFile(options.realmFile())) {
            throw new IllegalStateException("realm file not found: " + options.realmFile());
        }
        int port = options.port() > 0 ? options.port() : freePort();
        int managementPort = freePort();
        Path logFile;
        try {
            Path importDir = Files.createDirectories(home.resolve("data/import"));
            try (Stream<Path> old = Files.list(importDir)) {
                for (Path p : old.collect(Collectors.toList())) {
                    Files.deleteIfExists(p);
                }
            }
            Files.copy(options.realmFile(), importDir.resolve(REALM + "-realm.json"), StandardCopyOption.REPLACE_EXISTING);
            logFile = options.logFile();
            if (Files.isDirectory(logFile) || !logFile.getFileName().toString().endsWith(".log")) {
                Files.createDirectories(logFile);
                logFile = logFile.resolve("keycloak-" + port + ".log");
            } else {
                Files.createDirectories(logFile.getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of(kcSh.toString(), "start-dev",
                "--http-host=127.0.0.1", "--http-port=" + port,
                "--http-management-port=" + managementPort,
                "--db=dev-mem", "--cache=local", "--import-realm"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = builder.environment();
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USER);
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", options.adminPassword());
        // Keycloak's default heap is a share of the machine's memory; a development realm needs little
        env.putIfAbsent("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        long started = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + kcSh, e);
        }
        KeycloakServer server = new KeycloakServer(process, port, logFile, options.adminPassword());
        try {
            server.awaitReady(started);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitReady(long started) {
        URI probe = URI.create(issuer() + "/.well-known/openid-configuration");
        long deadline = started + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited (" + process.exitValue() + ") before it was ready; log "
                        + log + ":\n" + tail());
            }
            if (status(probe) == 200) {
                System.out.printf("[berth] Keycloak %s ready on 127.0.0.1:%d in %d ms (log %s)%n", VERSION, port,
                        (System.nanoTime() - started) / 1_000_000, log);
                return;
            }
            sleep(500);
        }
        throw new IllegalStateException("Keycloak not ready within " + START_TIMEOUT.toSeconds() + " s; log " + log
                + ":\n" + tail());
    }

    private static int status(URI uri) {
        try {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build();
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT} */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The issuer of the Berth realm, {@code http://127.0.0.1:PORT/realms/berth}. */
    public String issuer() {
        return url() + "/realms/" + REALM;
    }

    public String tokenEndpoint() {
        return issuer() + "/protocol/openid-connect/token";
    }

    public String jwksUrl() {
        return issuer() + "/protocol/openid-connect/certs";
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Admin helpers (master admin, Berth realm) against this server. */
    public KeycloakAdmin admin() {
        return new KeycloakAdmin(url(), adminPassword);
    }

    // ----- stop ----------------------------------------------------------------------------------------

    /** Stops Keycloak (SIGTERM, then SIGKILL after 20 s) and every process it started, by process id. */
    @Override
    public void close() {
        stopTree(process.toHandle());
    }

    /** Only JDK classes: also called from shutdown hooks. */
    static void stopTree(ProcessHandle root) {
        List<ProcessHandle> children = root.descendants().collect(Collectors.toList());
        root.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            root.onExit().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            root.destroyForcibly();
        }
        for (ProcessHandle child : children) {
            try {
                child.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                child.destroyForcibly();
            }
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static int freePort() {
        return dev.berth.devtools.support.LocalResources.freePort();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Runs Keycloak in the foreground for {@code deploy/local/up --keycloak}:
     * {@code java -cp registry-devtools/target/classes dev.berth.devtools.keycloak.KeycloakServer --port 8180}.
     * Prints {@value #READY_PREFIX}{@code http://127.0.0.1:PORT} once the realm answers; SIGTERM stops it.
     */
    public static void main(String[] args) throws InterruptedException {
        Options options = Options.defaults();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> options = options.withPort(Integer.parseInt(args[++i]));
                case "--log" -> options = options.withLogFile(Path.of(args[++i]));
                case "--admin-password" -> options = options.withAdminPassword(args[++i]);
                default -> {
                    System.err.println("usage: KeycloakServer [--port N] [--log FILE] [--admin-password P]");
                    System.exit(2);
                }
            }
        }
        String adminPassword = System.getenv("KC_BOOTSTRAP_ADMIN_PASSWORD");
        if (adminPassword != null && !adminPassword.isBlank()) {
            options = options.withAdminPassword(adminPassword);
        }
        KeycloakServer server = start(options);
        ProcessHandle handle = server.process.toHandle();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopTree(handle), "keycloak-stop"));
        System.out.println(READY_PREFIX + server.url() + " (realm " + REALM + ", log " + server.log() + ")");
        System.out.flush();
        server.process.waitFor();
        System.err.println("Keycloak exited with status " + server.process.exitValue());
        System.exit(1);
    }
}
