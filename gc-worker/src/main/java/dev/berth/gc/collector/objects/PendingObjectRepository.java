package dev.berth.gc.collector.objects;

import static dev.berth.gc.sql.Transactions.await;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The SQL of the objects collector: {@code gc_pending_object}, the storage objects whose blob row is gone. */
@ApplicationScoped
public class PendingObjectRepository {

    public record Pending(String storageKey, String digest, long size) {
    }

    /*
     * The oldest rows no one else holds: another collector's batch, or an upload of the same digest that claims them
     * (it deletes them and the object itself before its own object takes the place). Keys that failed in this pass
     * are left for a later one.
     */
    private static final String CLAIM = "select storage_key, digest, size from gc_pending_object "
            + "where storage_key <> all($2::text[]) order by queued_at limit $1 for update skip locked";

    private static final String DELETE = "delete from gc_pending_object where storage_key = any($1::text[])";

    private static final String PAGE = "select storage_key, digest, size from gc_pending_object where storage_key > $1 "
            + "order by storage_key limit $2";

    /** Locks up to {@code limit} rows, the oldest first, except {@code skip}. */
    public List<Pending> claim(SqlConnection tx, int limit, Collection<String> skip) {
        return rows(await(tx.preparedQuery(CLAIM).execute(Tuple.of(limit, skip.toArray(String[]::new)))));
    }

    /** Rows after {@code after} in key order, without locks (dry runs). */
    public List<Pending> page(SqlConnection tx, String after, int limit) {
        return rows(await(tx.preparedQuery(PAGE).execute(Tuple.of(after, limit))));
    }

    /** Removes the rows of objects storage has deleted. */
    public void delete(SqlConnection tx, List<String> keys) {
        if (!keys.isEmpty()) {
            await(tx.preparedQuery(DELETE).execute(Tuple.of(keys.toArray(String[]::new))));
        }
    }

    private static List<Pending> rows(Iterable<Row> rows) {
        List<Pending> pending = new ArrayList<>();
        for (Row row : rows) {
            pending.add(new Pending(row.getString(0), row.getString(1), row.getLong(2)));
        }
        return pending;
    }
}
