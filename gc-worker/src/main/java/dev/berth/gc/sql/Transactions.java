package dev.berth.gc.sql;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import java.time.Duration;
import java.util.function.Function;

/**
 * One transaction run step by step from a collector's own thread: each statement is awaited there, never on an event
 * loop (catalog-service's pattern). READ COMMITTED, PostgreSQL's default: every statement sees what committed before
 * it started, which the collectors' lock-then-recheck rule relies on.
 */
public final class Transactions {
    /** No statement of a collector should take longer; past it the transaction is rolled back. */
    public static final Duration STATEMENT_TIMEOUT = Duration.ofMinutes(5);

    private Transactions() {
    }

    /** Runs {@code work} in a transaction; commits when it returns, rolls back when it throws. */
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

    /** Awaits one statement (or any step) of a transaction from the collector's thread. */
    public static <T> T await(io.smallrye.mutiny.Uni<T> step) {
        return step.await().atMost(STATEMENT_TIMEOUT);
    }

    /** Runs {@code work} in a transaction that is always rolled back (dry runs: look, change nothing). */
    public static <T> T readOnly(Pool pool, Function<SqlConnection, T> work) {
        SqlConnection connection = pool.getConnection().await().atMost(STATEMENT_TIMEOUT);
        try {
            Transaction tx = connection.begin().await().atMost(STATEMENT_TIMEOUT);
            try {
                return work.apply(connection);
            } finally {
                try {
                    tx.rollback().await().atMost(STATEMENT_TIMEOUT);
                } catch (RuntimeException ignored) {
                    // the connection is closed below; the server rolls back then
                }
            }
        } finally {
            connection.close().await().atMost(STATEMENT_TIMEOUT);
        }
    }
}
