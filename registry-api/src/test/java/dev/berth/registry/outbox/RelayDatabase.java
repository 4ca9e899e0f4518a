package dev.berth.registry.outbox;

import dev.berth.devtools.testing.PostgresTestResource;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;

/**
 * A database of its own on the shared test PostgreSQL, migrated with registry-api's Flyway scripts: the relay
 * tests own every outbox row and position in it, and no relay of a running application interferes.
 */
final class RelayDatabase implements AutoCloseable {
    final String name = "relay_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final String jdbcUrl;

    RelayDatabase() throws SQLException {
        try (Connection c = PostgresTestResource.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("create database " + name);
        }
        jdbcUrl = "jdbc:postgresql://127.0.0.1:" + PostgresTestResource.port() + "/" + name;
        Flyway.configure().dataSource(jdbcUrl, PostgresTestResource.USERNAME, PostgresTestResource.PASSWORD)
                .schemas("registry").defaultSchema("registry").locations("classpath:db/migration")
                .load().migrate();
    }

    /** A JDBC connection (auto-commit on) whose search path is {@code registry}, like the application's. */
    Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(jdbcUrl + "?currentSchema=registry", PostgresTestResource.USERNAME,
                PostgresTestResource.PASSWORD);
        return c;
    }

    /** The reactive pool the relay uses, as the application configures it (search path {@code registry}). */
    Pool pool(Vertx vertx) {
        PgConnectOptions options = new PgConnectOptions().setHost("127.0.0.1").setPort(PostgresTestResource.port())
                .setDatabase(name).setUser(PostgresTestResource.USERNAME).setPassword(PostgresTestResource.PASSWORD)
                .addProperty("search_path", "registry");
        return Pool.newInstance(PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(options)
                .using(vertx).build());
    }

    /** Empties the outbox and the consumers and puts the relay row back to its initial state. */
    void reset() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("truncate outbox, outbox_consumer restart identity");
            s.execute("update outbox_relay set next_position = 1, holder = null, lease_until = null");
        }
    }

    /** Inserts one outbox row the way a writer does (position null) on {@code c}; returns its sequence. */
    static long insert(Connection c, String repository) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "insert into outbox (event_type, repository) values ('repository.created', ?) returning sequence")) {
            ps.setString(1, repository);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    long insert(String repository) throws SQLException {
        try (Connection c = connect()) {
            return insert(c, repository);
        }
    }

    /** A row as a reader sees it. */
    record Row(long sequence, long position, String repository) {
    }

    /** Rows with {@code column > after}, in the order of {@code column}: how a consumer reads the outbox. */
    List<Row> readAfter(String column, long after) throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
                "select sequence, coalesce(position, 0), repository from outbox where " + column + " > ? order by " + column)) {
            ps.setLong(1, after);
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getLong(2), rs.getString(3)));
                }
            }
            return rows;
        }
    }

    /** Every row, in position order (unpositioned last). */
    List<Row> all() throws SQLException {
        return readAfter("sequence", 0).stream()
                .sorted((a, b) -> Long.compare(a.position() == 0 ? Long.MAX_VALUE : a.position(),
                        b.position() == 0 ? Long.MAX_VALUE : b.position()))
                .toList();
    }

    String holder() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select holder from outbox_relay")) {
            rs.next();
            return rs.getString(1);
        }
    }

    void execute(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = PostgresTestResource.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("drop database if exists " + name + " with (force)");
        }
    }
}
