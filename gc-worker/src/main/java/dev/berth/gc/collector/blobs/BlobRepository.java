package dev.berth.gc.collector.blobs;

import static dev.berth.gc.sql.Transactions.await;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The SQL of the blobs collector: the queue {@code gc_blob_candidate}, blob rows, {@code gc_pending_object}. */
@ApplicationScoped
public class BlobRepository {

    /**
     * What the re-check found of a candidate digest. {@code present} false: no blob row (any more). {@code pending}:
     * an earlier deletion of this digest or storage key still waits for the objects collector.
     */
    public record Check(String digest, boolean present, long size, boolean linked, boolean referenced,
            boolean pending, boolean inGrace, OffsetDateTime due) {
    }

    private static final String CLAIM = "select digest from gc_blob_candidate where not_before <= now() "
            + "order by not_before limit $1 for update skip locked";

    private static final String LOCK = "select digest from blob where digest = any($1::text[]) "
            + "order by digest for update skip locked";

    /*
     * The decision, in its own statement (a snapshot newer than the locks): a blob is garbage when no repository links
     * it, no manifest of any repository references it (any kind), it was not touched within the grace period and no
     * deletion of it waits in gc_pending_object.
     */
    private static final String CHECK = "select c.digest, b.digest is not null, b.size, "
            + "exists (select 1 from repository_blob l where l.digest = c.digest) as linked, "
            + "exists (select 1 from manifest_reference r where r.digest = c.digest) as referenced, "
            // two lookups, one per index: an OR of both columns in one subquery cannot use either index
            + "(exists (select 1 from gc_pending_object p where p.digest = c.digest) "
            + "  or exists (select 1 from gc_pending_object p where p.storage_key = b.storage_key)) as pending, "
            + "b.last_touched_at + $2::int8 * interval '1 millisecond' > now() as in_grace, "
            + "b.last_touched_at + $2::int8 * interval '1 millisecond' as due "
            + "from unnest($1::text[]) c(digest) left join blob b on b.digest = c.digest";

    /* The blob rows go, their storage objects are queued for the objects collector, in one statement. */
    private static final String DELETE = "with gone as (delete from blob where digest = any($1::text[]) "
            + "returning digest, size, storage_key) "
            + "insert into gc_pending_object (storage_key, digest, size) select storage_key, digest, size from gone "
            + "on conflict (storage_key) do nothing";

    private static final String PAGE = "select digest from gc_blob_candidate where not_before <= now() and digest > $1 "
            + "order by digest limit $2";

    private static final String DROP = "delete from gc_blob_candidate where digest = any($1::text[])";

    private static final String POSTPONE = "update gc_blob_candidate c set not_before = u.t "
            + "from unnest($1::text[], $2::timestamptz[]) u(d, t) where c.digest = u.d";

    /** Statement 1: locks up to {@code limit} due candidates no other collector holds. */
    public List<String> claim(SqlConnection tx, int limit) {
        return digests(await(tx.preparedQuery(CLAIM).execute(Tuple.of(limit))));
    }

    /** The due candidates after {@code after} in digest order, without locks (dry runs). */
    public List<String> page(SqlConnection tx, String after, int limit) {
        return digests(await(tx.preparedQuery(PAGE).execute(Tuple.of(after, limit))));
    }

    /** Statement 2: locks the blob rows of {@code digests} that nobody else holds (a push, an upload, a mount). */
    public Set<String> lock(SqlConnection tx, List<String> digests) {
        return new HashSet<>(digests(await(tx.preparedQuery(LOCK).execute(Tuple.of(digests.toArray(String[]::new))))));
    }

    /** Statement 3: every condition again, in a fresh snapshot. */
    public List<Check> check(SqlConnection tx, List<String> digests, Duration grace) {
        List<Check> checks = new ArrayList<>();
        for (Row row : await(tx.preparedQuery(CHECK).execute(Tuple.of(digests.toArray(String[]::new), grace.toMillis())))) {
            boolean present = row.getBoolean(1);
            checks.add(present
                    ? new Check(row.getString(0), true, row.getLong(2), row.getBoolean(3), row.getBoolean(4),
                            row.getBoolean(5), row.getBoolean(6), row.getOffsetDateTime(7))
                    : new Check(row.getString(0), false, 0, false, false, false, false, null));
        }
        return checks;
    }

    /** Statement 4: deletes the blob rows and queues their objects. */
    public void delete(SqlConnection tx, List<String> digests) {
        if (!digests.isEmpty()) {
            await(tx.preparedQuery(DELETE).execute(Tuple.of(digests.toArray(String[]::new))));
        }
    }

    public void drop(SqlConnection tx, List<String> digests) {
        if (!digests.isEmpty()) {
            await(tx.preparedQuery(DROP).execute(Tuple.of(digests.toArray(String[]::new))));
        }
    }

    public void postpone(SqlConnection tx, List<String> digests, List<OffsetDateTime> notBefore) {
        if (!digests.isEmpty()) {
            await(tx.preparedQuery(POSTPONE).execute(Tuple.of(digests.toArray(String[]::new),
                    notBefore.toArray(OffsetDateTime[]::new))));
        }
    }

    private static List<String> digests(Iterable<Row> rows) {
        List<String> digests = new ArrayList<>();
        for (Row row : rows) {
            digests.add(row.getString(0));
        }
        return digests;
    }
}
