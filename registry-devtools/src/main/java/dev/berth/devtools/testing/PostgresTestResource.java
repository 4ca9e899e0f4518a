package dev.berth.devtools.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.postgresql.ds.PGSimpleDataSource;

import dev.berth.devtools.postgres.Postmaster;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server for {@code @QuarkusTest}s: {@code @WithTestResource(PostgresTestResource.class)}
 * (or {@code @QuarkusTestResource}).
 *
 * <p>One embedded server is started per JVM, on a free port of 127.0.0.1, the first time any test class
 * (or {@link #port()}) needs it, and is shared by every later test class, including those that Quarkus loads
 * in another class loader: the port is kept in the system property {@value #PORT_PROPERTY}. {@link #stop()}
 * leaves it running for the next test class; a JVM shutdown hook stops it and deletes its data. Tests that
 * need isolation create their own schema or database, or clean up after themselves.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

    /** System property that holds the port of the server once started in this JVM. */
    public static final String PORT_PROPERTY = "berth.test.postgres.port";
    public static final String DATABASE = "postgres";
    public static final String USERNAME = "postgres";
    /** Any password is accepted (trust authentication); this one is what the config overrides name. */
    public static final String PASSWORD = "postgres";

    /* A string literal is the same object in every class loader of the JVM: one lock for all copies of this class. */
    private static final String LOCK = "dev.berth.devtools.testing.PostgresTestResource#start";
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(90);

    /** The server, in the class loader that started it (kept reachable for the life of the JVM). */
    private static volatile EmbeddedPostgres server;

    @Override
    public Map<String, String> start() {
        int port = port();
        return Map.of(
                "quarkus.datasource.reactive.url", reactiveUrl(port),
                "quarkus.datasource.jdbc.url", jdbcUrl(port),
                "quarkus.datasource.username", USERNAME,
                "quarkus.datasource.password", PASSWORD);
    }

    @Override
    public void stop() {
        // kept running for the next test class; the JVM shutdown hook stops it
    }

    /** Port of the shared server on 127.0.0.1, starting the server if this JVM has none yet. */
    public static int port() {
        synchronized (LOCK) {
            String known = System.getProperty(PORT_PROPERTY);
            if (known != null) {
                return Integer.parseInt(known);
            }
            int port = startServer();
            System.setProperty(PORT_PROPERTY, Integer.toString(port));
            return port;
        }
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/postgres}; connect as {@link #USERNAME}/{@link #PASSWORD}. */
    public static String jdbcUrl() {
        return jdbcUrl(port());
    }

    /** {@code postgresql://127.0.0.1:PORT/postgres}, the form of {@code quarkus.datasource.reactive.url}. */
    public static String reactiveUrl() {
        return reactiveUrl(port());
    }

    /** A plain JDBC data source of the shared server's {@code postgres} database, for direct SQL in tests. */
    public static DataSource dataSource() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setServerNames(new String[] {"127.0.0.1"});
        dataSource.setPortNumbers(new int[] {port()});
        dataSource.setDatabaseName(DATABASE);
        dataSource.setUser(USERNAME);
        dataSource.setPassword(PASSWORD);
        return dataSource;
    }

    private static String jdbcUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    private static String reactiveUrl(int port) {
        return "postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    private static int startServer() {
        Path home;
        try {
            home = Files.createTempDirectory("berth-test-postgres-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path dataDir = home.resolve("data");
        Path log = home.resolve("postgres.log");
        EmbeddedPostgres started;
        int port;
        try {
            port = freePort();
            started = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(true)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("unix_socket_directories", "")
                    // throw-away data: durability only costs time
                    .setServerConfig("fsync", "off")
                    .setServerConfig("full_page_writes", "off")
                    .setLocaleConfig("locale", "C")
                    .setPGStartupWait(STARTUP_WAIT)
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setRegisterShutdownHook(false)
                    .start();
        } catch (IOException | RuntimeException e) {
            String output = tail(log);
            Optional<ProcessHandle> postmaster = Postmaster.running(dataDir);
            Optional<List<String>> stop = postmaster.flatMap(p -> stopCommand(p, dataDir));
            if (stop.isEmpty()) {
                postmaster.ifPresent(ProcessHandle::destroy);
            }
            stopAndDelete(home, dataDir, stop);
            throw new IllegalStateException("embedded PostgreSQL did not start: " + e.getMessage()
                    + "\n--- postgres output ---\n" + output, e);
        }
        server = started;

        Optional<ProcessHandle> postmaster = Postmaster.running(dataDir);
        Optional<List<String>> stopCommand = postmaster.flatMap(p -> stopCommand(p, dataDir));
        // Only JDK classes from here on: the class loader of this class may be closed when the JVM exits.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (stopCommand.isPresent()) {
                stopAndDelete(home, dataDir, stopCommand);
            } else {
                postmaster.ifPresent(ProcessHandle::destroy);
                postmaster.ifPresent(p -> p.onExit().completeOnTimeout(p, 30, TimeUnit.SECONDS).join());
                stopAndDelete(home, dataDir, Optional.empty());
            }
        }, "berth-test-postgres-stop"));
        return port;
    }

    private static Optional<List<String>> stopCommand(ProcessHandle postmaster, Path dataDir) {
        return Postmaster.pgCtl(postmaster).map(pgCtl -> Postmaster.pgCtlCommand(pgCtl,
                "-D", dataDir.toString(), "stop", "-m", "fast", "-w", "-t", "30"));
    }

    private static void stopAndDelete(Path home, Path dataDir, Optional<List<String>> stopCommand) {
        if (stopCommand.isPresent()) {
            try {
                Process stop = new ProcessBuilder(stopCommand.get())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("postgres.log").toFile()))
                        .start();
                if (!stop.waitFor(45, TimeUnit.SECONDS)) {
                    stop.destroyForcibly();
                }
            } catch (IOException e) {
                System.err.println("Could not stop the embedded PostgreSQL of " + dataDir + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        dev.berth.devtools.support.LocalResources.deleteTree(home);
    }

    private static int freePort() throws IOException {
        return dev.berth.devtools.support.LocalResources.freePort();
    }

    private static String tail(Path log) {
        return dev.berth.devtools.support.LocalResources.tail(log, 40);
    }
}
