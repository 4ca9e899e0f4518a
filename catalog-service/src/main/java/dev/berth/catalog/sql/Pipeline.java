package dev.berth.catalog.sql;

import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Statements sent on one connection without waiting for each answer: the connection runs them in the order sent
 * (the PostgreSQL client pipelines them), so a batch of dependent statements costs one round trip instead of one
 * per statement. {@link #await()} waits for all of them and fails with the first failure (after which PostgreSQL
 * has aborted the transaction, so nothing of the batch is kept).
 */
public final class Pipeline {
    private final SqlConnection connection;
    private final List<CompletableFuture<?>> pending = new ArrayList<>();

    public Pipeline(SqlConnection connection) {
        this.connection = connection;
    }

    public void send(String sql, Tuple params) {
        send(sql, params, null);
    }

    /** Sends a statement now; {@code rows} (if not null) receives its rows when they arrive. */
    public void send(String sql, Tuple params, Consumer<RowSet<Row>> rows) {
        CompletableFuture<RowSet<Row>> future = connection.preparedQuery(sql).execute(params).subscribeAsCompletionStage();
        pending.add(rows == null ? future : future.thenAccept(rows));
    }

    public void await() {
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                    .get(Transactions.STATEMENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | CompletionException e) {
            // the first statement that failed says why (later ones only fail because the transaction aborted)
            for (CompletableFuture<?> f : pending) {
                if (f.isCompletedExceptionally()) {
                    try {
                        f.join();
                    } catch (CompletionException failed) {
                        throw failed.getCause() instanceof RuntimeException r ? r : new IllegalStateException(failed.getCause());
                    }
                }
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("statements did not complete within " + Transactions.STATEMENT_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for statements", e);
        } finally {
            pending.clear();
        }
    }
}
