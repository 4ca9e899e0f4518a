package dev.berth.catalog.admin;

import dev.berth.catalog.events.EventConsumer;
import dev.berth.catalog.projection.Projection;
import dev.berth.catalog.sql.Transactions;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import static dev.berth.catalog.sql.Transactions.STATEMENT_TIMEOUT;

/**
 * Recreates the read model from registry-api's tables, for recovery and migrations, in one transaction that
 * readers never see half done. It runs in REPEATABLE READ after locking the consumer's position row (so no event
 * is applied meanwhile) and stores as last position the highest outbox position of the same snapshot: every event
 * up to it is already in the tables read, and the events after it are applied on top as usual (those whose change
 * the snapshot already holds change nothing, since applying is idempotent). Config labels are kept (they are
 * stored by config digest). The rows produced are those the events produce (see {@link Projection}).
 */
@ApplicationScoped
public class RebuildService {
    private static final Logger LOG = Logger.getLogger(RebuildService.class);

    private final Pool pool;
    private final EventConsumer consumer;

    public RebuildService(Pool pool, EventConsumer consumer) {
        this.pool = pool;
        this.consumer = consumer;
    }

    /** What a rebuild produced. */
    public record Result(long repositories, long manifests, long tags, long position, long millis) {
    }

    public Uni<Result> rebuild() {
        return Uni.createFrom().item(this::rebuildNow).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    Result rebuildNow() {
        long started = System.currentTimeMillis();
        Result result = Transactions.inTransaction(pool, tx -> {
            run(tx, "set transaction isolation level repeatable read");
            // a lock takes no snapshot: the snapshot starts after it, once the consumer's transaction has ended
            run(tx, "lock table catalog.consumer_state in exclusive mode");
            long position = tx.query("select coalesce(max(position), 0) from registry.outbox").execute()
                    .await().atMost(STATEMENT_TIMEOUT).iterator().next().getLong(0);
            run(tx, "delete from catalog.repository");
            long repositories = count(tx, "insert into catalog.repository (name, created_at) select name, created_at from registry.repository");
            // images before indexes: an index's size counts its children's blobs
            long manifests = first(tx, Projection.copyManifests("not " + Projection.IS_INDEX + " or catalog.payload_json(m.payload) is null"))
                    + first(tx, Projection.copyManifests(Projection.IS_INDEX));
            long tags = count(tx, Projection.COPY_ALL_TAGS);
            run(tx, Projection.refreshRepositories("true"));
            tx.query("update catalog.consumer_state set last_position = " + position + ", updated_at = now() where id = 1")
                    .execute().await().atMost(STATEMENT_TIMEOUT);
            return new Result(repositories, manifests, tags, position, 0);
        });
        Result done = new Result(result.repositories(), result.manifests(), result.tags(), result.position(),
                System.currentTimeMillis() - started);
        LOG.infof("read model rebuilt from the registry tables: %d repositories, %d manifests, %d tags, position %d (%d ms)",
                done.repositories(), done.manifests(), done.tags(), done.position(), done.millis());
        consumer.wake();
        return done;
    }

    private static void run(SqlConnection tx, String sql) {
        tx.query(sql).execute().await().atMost(STATEMENT_TIMEOUT);
    }

    private static long count(SqlConnection tx, String sql) {
        return tx.query(sql).execute().await().atMost(STATEMENT_TIMEOUT).rowCount();
    }

    private static long first(SqlConnection tx, String sql) {
        return tx.query(sql).execute().await().atMost(STATEMENT_TIMEOUT).iterator().next().getLong(0);
    }
}
