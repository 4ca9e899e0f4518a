package dev.berth.it.gc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import javax.sql.DataSource;

import dev.berth.it.replicas.ReplicaStorage;
import dev.berth.it.replicas.ReplicaStorage.StoredObject;

/**
 * What must hold between the registry's tables and its store around garbage collection, checked with SQL and a
 * listing of the store:
 * <ul>
 * <li>at any time once clients are quiet: every stored object is named by a row (blob, pending deletion, upload
 * session) or is younger than the grace period (written by an upload that has not been recorded or undone);</li>
 * <li>after a run with the grace period elapsed: no blob row without a link or a reference, no link that no
 * manifest of its repository references, no pending deletion, and the objects under {@code blobs/} are exactly the
 * blob rows' keys (nothing unreferenced left, nothing referenced lost).</li>
 * </ul>
 */
final class GcInvariants {

    private final DataSource database;
    private final ReplicaStorage storage;

    GcInvariants(DataSource database, ReplicaStorage storage) {
        this.database = database;
        this.storage = storage;
    }

    /** Blob rows that no repository links and no manifest references. */
    long unreferencedBlobs() {
        return count("select count(*) from registry.blob b where not exists (select 1 from registry.repository_blob l "
                + "where l.digest = b.digest) and not exists (select 1 from registry.manifest_reference r "
                + "where r.digest = b.digest)");
    }

    /** Links whose digest no manifest of their repository references. */
    long unusedLinks() {
        return count("select count(*) from registry.repository_blob l where not exists (select 1 from "
                + "registry.manifest m join registry.manifest_reference r on r.manifest_id = m.id "
                + "where m.repository_id = l.repository_id and r.digest = l.digest)");
    }

    long pendingObjects() {
        return count("select count(*) from registry.gc_pending_object");
    }

    long blobRows() {
        return count("select count(*) from registry.blob");
    }

    /**
     * Waits (bounded) until no queued candidate waits for a later time: one still in grace waits until its grace ends,
     * one whose row a push held locked is looked at again only after a while (gc-worker's Postponed.BUSY), so a run
     * before then rightly keeps it.
     */
    void awaitCandidatesDue(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        String sql = "select (select count(*) from registry.gc_link_candidate where not_before > now()) "
                + "+ (select count(*) from registry.gc_blob_candidate where not_before > now())";
        long waiting = count(sql);
        while (waiting > 0) {
            assertThat(System.nanoTime()).as("%d candidates still wait for a later time after %s", waiting, limit)
                    .isLessThan(deadline);
            GcRuns.pause(200);
            waiting = count(sql);
        }
    }

    /** Per collector: objects and errors summed over every run in {@code gc.run_result}. */
    Map<String, long[]> totals() {
        Map<String, long[]> totals = new LinkedHashMap<>();
        query("select collector, sum(objects), sum(errors) from gc.run_result group by collector order by collector",
                rows -> totals.put(rows.getString(1), new long[] {rows.getLong(2), rows.getLong(3)}));
        return totals;
    }

    /** Runs by state. */
    Map<String, Long> runs() {
        Map<String, Long> runs = new LinkedHashMap<>();
        query("select state, count(*) from gc.run group by state order by state",
                rows -> runs.put(rows.getString(1), rows.getLong(2)));
        return runs;
    }

    /**
     * Every object in the store is named by a row (blob, pending deletion, an upload session's id in its key) or was
     * written within {@code grace} (plus {@code slack} for clocks and listing). The rows are read before the listing,
     * so an object that appears in between (none should: clients are quiet) would count as unnamed. Returns the
     * number of unnamed objects within grace.
     */
    long assertEveryObjectNamedOrInGrace(Duration grace, Duration slack) throws Exception {
        Set<String> named = new HashSet<>();
        query("select storage_key from registry.blob", rows -> named.add(rows.getString(1)));
        query("select storage_key from registry.gc_pending_object", rows -> named.add(rows.getString(1)));
        List<String> sessions = new ArrayList<>();
        query("select id::text from registry.upload_session", rows -> sessions.add(rows.getString(1)));
        Instant now = Instant.now();
        Instant oldestAllowed = now.minus(grace).minus(slack);
        List<String> unnamed = new ArrayList<>();
        long inGrace = 0;
        for (StoredObject object : storage.list("")) {
            if (named.contains(object.key()) || sessions.stream().anyMatch(object.key()::contains)) {
                continue;
            }
            if (object.lastModified().isAfter(oldestAllowed)) {
                inGrace++;
            } else {
                unnamed.add(object.key() + " (" + object.size() + " bytes, written " + object.lastModified() + ")");
            }
        }
        assertThat(unnamed).as("objects in %s that no row names and that are older than the grace period %s (+%s) at %s",
                storage, grace, slack, now).isEmpty();
        return inGrace;
    }

    /**
     * After a run with the grace period elapsed and clients quiet: nothing unreferenced in the tables, nothing pending,
     * the objects under {@code blobs/} exactly the blob rows' keys, nothing under {@code uploads/} without a session.
     */
    void assertNothingUnreferenced() throws Exception {
        assertThat(unreferencedBlobs()).as("blob rows without a link or a reference, e.g. %s", sample(
                "select b.digest || ' touched ' || b.last_touched_at || ' candidate ' || coalesce(c.not_before::text, "
                + "'none') from registry.blob b left join registry.gc_blob_candidate c on c.digest = b.digest where not "
                + "exists (select 1 from registry.repository_blob l where l.digest = b.digest) and not exists (select 1 "
                + "from registry.manifest_reference r where r.digest = b.digest) limit 5")).isZero();
        assertThat(unusedLinks()).as("links that no manifest of their repository references, e.g. %s", sample(
                "select l.repository_id || ' ' || l.digest || ' touched ' || l.last_touched_at || ' candidate ' || "
                + "coalesce(c.not_before::text, 'none') from registry.repository_blob l left join "
                + "registry.gc_link_candidate c on c.repository_id = l.repository_id and c.digest = l.digest where not "
                + "exists (select 1 from registry.manifest m join registry.manifest_reference r on r.manifest_id = m.id "
                + "where m.repository_id = l.repository_id and r.digest = l.digest) limit 5")).isZero();
        assertThat(pendingObjects()).as("pending object deletions").isZero();
        Set<String> keys = new TreeSet<>();
        query("select storage_key from registry.blob", rows -> keys.add(rows.getString(1)));
        Set<String> stored = new TreeSet<>();
        for (StoredObject object : storage.list("blobs/")) {
            stored.add(object.key());
        }
        Set<String> withoutRow = new TreeSet<>(stored);
        withoutRow.removeAll(keys);
        Set<String> withoutObject = new TreeSet<>(keys);
        withoutObject.removeAll(stored);
        assertThat(withoutRow).as("objects in %s without a blob row", storage).isEmpty();
        assertThat(withoutObject).as("blob rows whose object is gone from %s (data lost)", storage).isEmpty();
        List<String> sessions = new ArrayList<>();
        query("select id::text from registry.upload_session", rows -> sessions.add(rows.getString(1)));
        List<String> strayUploads = new ArrayList<>();
        for (StoredObject object : storage.list("uploads/")) {
            if (sessions.stream().noneMatch(object.key()::contains)) {
                strayUploads.add(object.key());
            }
        }
        assertThat(strayUploads).as("upload objects in %s without a session", storage).isEmpty();
    }

    /** The first column of the rows, for a failure message. */
    private List<String> sample(String sql) {
        List<String> rows = new ArrayList<>();
        query(sql, row -> rows.add(row.getString(1)));
        return rows;
    }

    long count(String sql) {
        long[] value = {0};
        query(sql, rows -> value[0] = rows.getLong(1));
        return value[0];
    }

    interface RowHandler {
        void row(ResultSet rows) throws SQLException;
    }

    void query(String sql, RowHandler handler) {
        try (Connection connection = database.getConnection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                handler.row(rows);
            }
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e, e);
        }
    }
}
