package dev.berth.gc.sql;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import java.time.Duration;
import java.util.function.Function;

/**
 * One transaction run step by step from a collector's own thread: each statement (and each storage call made while
 * the transaction holds its row locks) is awaited there, never on an event loop.
 */
public final class Transactions {
    /** No single statement of a collector should take longer; past it the transaction is rolled back. */
    public static final Duration STATEMENT_TIMEOUT = Duration.ofMinutes(5);

    private Transactions() {
    }

    public static <T> T inTransaction(Pool pool, Function<SqlConnection, T> work) {
        SqlConnection connection = pool.getConnection().await().atMost(STATEMENT_TIMEOUT);
        try {
            Transaction tx = connection.begin().await().atMost(STATEMENT_TIMEOUT);
            T result;
            try {
                result = work.apply(connection);
            } catch (RuntimeException | Error e) {
                try {
                    tx.rollback().await().atMost(STATEMENT_TIMEOUT);
                } catch (RuntimeException ignored) {
                    // the connection is closed below; the server rolls back then
                }
                throw e;
            }
            tx.commit().await().atMost(STATEMENT_TIMEOUT);
            return result;
        } finally {
            connection.close().await().atMost(STATEMENT_TIMEOUT);
        }
    }
}
