package dev.berth.gc.collector.manifest;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Statements awaited on the collector's own thread (never an event loop): the policy collectors decide and delete
 * step by step, each step a statement of its own so that it takes a new snapshot (READ COMMITTED).
 */
public final class Sql {
    /** No statement of a policy pass should take longer; past it the transaction is rolled back. */
    static final Duration TIMEOUT = Duration.ofMinutes(5);

    private Sql() {
    }

    public static RowSet<Row> run(SqlClient client, String sql, Tuple params) {
        return client.preparedQuery(sql).execute(params).await().atMost(TIMEOUT);
    }

    /** The first column of every row, as longs. */
    public static List<Long> longs(RowSet<Row> rows) {
        List<Long> values = new ArrayList<>(rows.size());
        rows.forEach(row -> values.add(row.getLong(0)));
        return values;
    }

    /** {@code work} in one transaction of its own connection: committed when it returns, rolled back when it throws. */
    public static <T> T inTransaction(Pool pool, Function<SqlConnection, T> work) {
        SqlConnection connection = pool.getConnection().await().atMost(TIMEOUT);
        try {
            Transaction tx = connection.begin().await().atMost(TIMEOUT);
            T result;
            try {
                result = work.apply(connection);
            } catch (RuntimeException | Error e) {
                try {
                    tx.rollback().await().atMost(TIMEOUT);
                } catch (RuntimeException ignored) {
                    // closing the connection rolls back on the server
                }
                throw e;
            }
            tx.commit().await().atMost(TIMEOUT);
            return result;
        } finally {
            connection.close().await().atMost(TIMEOUT);
        }
    }
}
