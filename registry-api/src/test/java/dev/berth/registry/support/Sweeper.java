package dev.berth.registry.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.testing.PostgresTestResource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

/**
 * Plays gc-worker's SQL in a transaction of its own (docs/garbage-collection.md, "the safety protocol"): statement 1
 * locks, statement 2 re-checks with a new snapshot, statement 3 deletes. The transaction stays open until
 * {@link #commit()}, so a test can hold it while a request of the registry runs.
 */
public final class Sweeper implements AutoCloseable {
    private final Connection connection;

    public Sweeper() throws Exception {
        connection = PostgresTestResource.dataSource().getConnection();
        connection.setAutoCommit(false);
    }

    /**
     * The blob collector on one digest: locks the blob row, re-checks it is unused, deletes it and queues its object
     * in {@code gc_pending_object}. Returns the storage key queued, or null when the row was locked or in use.
     */
    public String deleteBlob(String digest) throws Exception {
        String key;
        long size;
        try (PreparedStatement lock = connection.prepareStatement(
                "select storage_key, size from registry.blob where digest = ? for update skip locked")) {
            lock.setString(1, digest);
            try (ResultSet rs = lock.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                key = rs.getString(1);
                size = rs.getLong(2);
            }
        }
        if (query("select 1 from registry.repository_blob where digest = ? union all "
                + "select 1 from registry.manifest_reference where digest = ?", digest, digest) > 0) {
            return null;
        }
        update("delete from registry.blob where digest = ?", digest);
        try (PreparedStatement queue = connection.prepareStatement(
                "insert into registry.gc_pending_object (storage_key, digest, size) values (?, ?, ?)")) {
            queue.setString(1, key);
            queue.setString(2, digest);
            queue.setLong(3, size);
            queue.executeUpdate();
        }
        update("delete from registry.gc_blob_candidate where digest = ?", digest);
        return key;
    }

    /**
     * The object collector's claim, restricted to one digest (other tests' rows are not ours): deletes the pending
     * rows, locking them until {@link #commit()}. The caller deletes the objects, as the collector does before it
     * commits. Returns the claimed storage keys.
     */
    public List<String> claimPendingObjects(String digest) throws Exception {
        List<String> keys = new ArrayList<>();
        try (PreparedStatement claim = connection.prepareStatement("delete from registry.gc_pending_object "
                + "where storage_key in (select storage_key from registry.gc_pending_object where digest = ? "
                + "order by queued_at limit 100 for update skip locked) returning storage_key")) {
            claim.setString(1, digest);
            try (ResultSet rs = claim.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
        }
        return keys;
    }

    /**
     * The link collector on one link: locks it, re-checks that no manifest of the repository references the digest,
     * deletes it. Returns whether it deleted the link.
     */
    public boolean deleteLink(String repository, String digest) throws Exception {
        Long id = lockId("select l.id from registry.repository_blob l join registry.repository r "
                + "on r.id = l.repository_id where r.name = ? and l.digest = ? for update of l skip locked", repository, digest);
        if (id == null || query("select 1 from registry.manifest_reference x join registry.manifest m "
                + "on m.id = x.manifest_id join registry.repository r on r.id = m.repository_id "
                + "where r.name = ? and x.digest = ?", repository, digest) > 0) {
            return false;
        }
        try (PreparedStatement delete = connection.prepareStatement("delete from registry.repository_blob where id = ?")) {
            delete.setLong(1, id);
            return delete.executeUpdate() == 1;
        }
    }

    /**
     * The untagged collector on one manifest: locks it, re-checks that no tag names it and no manifest of the
     * repository lists it, deletes it. Returns whether it deleted the manifest.
     */
    public boolean deleteManifest(String repository, String digest) throws Exception {
        Long id = lockId("select m.id from registry.manifest m join registry.repository r "
                + "on r.id = m.repository_id where r.name = ? and m.digest = ? for update of m skip locked", repository, digest);
        if (id == null || query("select 1 from registry.tag where manifest_id = ?", id) > 0
                || query("select 1 from registry.manifest_reference x join registry.manifest m on m.id = x.manifest_id "
                        + "join registry.repository r on r.id = m.repository_id where r.name = ? and x.digest = ? "
                        + "and x.kind = 'manifest'", repository, digest) > 0) {
            return false;
        }
        try (PreparedStatement delete = connection.prepareStatement("delete from registry.manifest where id = ?")) {
            delete.setLong(1, id);
            return delete.executeUpdate() == 1;
        }
    }

    /** Statement 1 of a collector on a row of {@code repository}: its id, locked; null when absent or locked. */
    private Long lockId(String sql, String repository, String digest) throws Exception {
        try (PreparedStatement lock = connection.prepareStatement(sql)) {
            lock.setString(1, repository);
            lock.setString(2, digest);
            try (ResultSet rs = lock.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    public void commit() throws Exception {
        connection.commit();
    }

    @Override
    public void close() throws Exception {
        try {
            connection.rollback();
        } finally {
            connection.close();
        }
    }

    private int query(String sql, Object... params) throws Exception {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            int n = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    n++;
                }
            }
            return n;
        }
    }

    private void update(String sql, String value) throws Exception {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, value);
            ps.executeUpdate();
        }
    }

    /**
     * Waits (bounded) until another session of the database waits for a lock, or {@code request} has finished
     * (then it did not wait: the caller's assertions show what that did).
     */
    public static void awaitBlockedOrDone(Future<?> request) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (request.isDone()) {
                return;
            }
            try (Connection c = PostgresTestResource.dataSource().getConnection();
                    PreparedStatement ps = c.prepareStatement("select count(*) from pg_stat_activity "
                            + "where wait_event_type = 'Lock' and pid <> pg_backend_pid() and datname = current_database()");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the request neither waited for the test's transaction nor finished");
    }

    /** Rows of a one-parameter count query, on a connection of its own (autocommit). */
    public static long count(String sql, Object param) throws Exception {
        try (Connection c = PostgresTestResource.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getLong(1);
            }
        }
    }
}
