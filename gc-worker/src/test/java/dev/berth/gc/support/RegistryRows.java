package dev.berth.gc.support;

import dev.berth.devtools.testing.PostgresTestResource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Registry rows seeded and read with plain JDBC (autocommit), as registry-api would have written them; ages in days
 * before now. {@link #connection()} opens a connection of its own, for interleaving with a collector.
 */
public final class RegistryRows {

    private RegistryRows() {
    }

    public static Connection connection() {
        try {
            Connection connection = PostgresTestResource.dataSource().getConnection();
            try (var statement = connection.createStatement()) {
                statement.execute("set search_path = registry");
            }
            return connection;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static long repository(String name) {
        return queryLong("insert into repository (name) values (?) returning id", name);
    }

    public static void blob(String digest, long size) {
        update("insert into blob (digest, size, storage_key) values (?, ?, ?) on conflict do nothing", digest, size,
                "blobs/" + digest + "/data");
    }

    public static long manifest(long repository, String digest, String subject, int ageDays) {
        return queryLong("insert into manifest (repository_id, digest, media_type, subject_digest, size, payload, "
                + "created_at) values (?, ?, 'application/vnd.oci.image.manifest.v1+json', ?, 100, '\\x7b7d'::bytea, "
                + "now() - make_interval(days => ?)) returning id", repository, digest, subject, ageDays);
    }

    public static void reference(long manifest, String digest, String kind) {
        update("insert into manifest_reference (manifest_id, digest, kind) values (?, ?, ?)", manifest, digest, kind);
    }

    public static void tag(long repository, String name, long manifest, int ageDays) {
        update("insert into tag (repository_id, name, manifest_id, updated_at) values (?, ?, ?, "
                + "now() - make_interval(days => ?))", repository, name, manifest, ageDays);
    }

    /** The digests of the manifests of a repository, in digest order. */
    public static List<String> manifests(long repository) {
        return strings("select digest from manifest where repository_id = ? order by digest", repository);
    }

    /** The tag names of a repository, in name order. */
    public static List<String> tags(long repository) {
        return strings("select name from tag where repository_id = ? order by name", repository);
    }

    /** "type digest tag actor" of the outbox rows of repository {@code name}, in sequence order. */
    public static List<String> events(String name) {
        return strings("select concat_ws(' ', event_type, digest, tag, media_type, actor) from outbox "
                + "where repository = ? order by sequence", name);
    }

    public static long queryLong(String sql, Object... params) {
        try (Connection c = connection(); PreparedStatement s = prepare(c, sql, params); ResultSet rows = s.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<String> strings(String sql, Object... params) {
        try (Connection c = connection(); PreparedStatement s = prepare(c, sql, params); ResultSet rows = s.executeQuery()) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void update(String sql, Object... params) {
        try (Connection c = connection(); PreparedStatement s = prepare(c, sql, params)) {
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement statement = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            statement.setObject(i + 1, params[i]);
        }
        return statement;
    }
}
