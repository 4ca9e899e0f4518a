package dev.berth.gc.sql;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import java.time.Duration;
import java.util.function.Function;

/**
 * One transaction run step by step from a thread that may block (a worker's run thread, a collector): each
 * statement is awaited there, never on an event loop. Request handlers stay reactive and do not use this.
 */
public final class Transactions {
    /** No single statement of a collector or of the run bookkeeping should take longer; past it the work fails. */
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
