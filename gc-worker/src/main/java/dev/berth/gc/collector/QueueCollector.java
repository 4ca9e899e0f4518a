package dev.berth.gc.collector;

import dev.berth.gc.sql.Transactions;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * A {@link Mode#SHARED} collector that works through a queue table: a pass takes batches, each one transaction
 * that claims its rows {@code FOR UPDATE SKIP LOCKED} (so collectors on every worker share the queue and never take the
 * same row), decides and commits, until no due row is left. Every claimed row leaves the due set in its batch
 * (deleted, or postponed), or fails and is skipped for the rest of the pass, so a pass ends. A dry run pages through
 * the due rows in key order without locks and counts what a batch would do.
 *
 * @param <K> the key dry runs page by
 */
public abstract class QueueCollector<K> implements Collector {
    /** Items that failed are skipped for the rest of a pass; past this many the pass stops (something is wrong). */
    static final int MAX_FAILED_PER_PASS = 10_000;
    private static final Logger LOG = Logger.getLogger(QueueCollector.class);

    protected final Pool pool;

    protected QueueCollector(Pool pool) {
        this.pool = pool;
    }

    /** For the client proxy of a normal-scoped bean (it never uses the fields). */
    protected QueueCollector() {
        this(null);
    }

    /**
     * One batch's outcome: rows claimed (0: the queue has nothing due that no one else holds), objects deleted and
     * their bytes, and the keys of items that failed (kept queued).
     */
    public record Batch(int claimed, long objects, long bytes, List<String> failed) {
        public static final Batch NONE = new Batch(0, 0, 0, List.of());
    }

    /** One dry-run page: its last key ({@code null}: no more rows), what a run would delete of it. */
    public record Page<K>(K last, long objects, long bytes) {
    }

    /** Claims, decides and deletes one batch in {@code tx}, skipping the keys that failed earlier in the pass. */
    protected abstract Batch batch(SqlConnection tx, Set<String> failedBefore);

    /** The key every dry run starts after. */
    protected abstract K first();

    /** Counts what a run would delete among the due rows after {@code after} (no locks, no changes). */
    protected abstract Page<K> dryRunPage(SqlConnection tx, K after);

    /** What the objects are, for progress lines: {@code links removed}. */
    protected abstract String done();

    @Override
    public Mode mode() {
        return Mode.SHARED;
    }

    @Override
    public void collect(RunScope scope) {
        if (scope.dryRun()) {
            dryRun(scope);
            return;
        }
        Set<String> failed = new HashSet<>();
        long total = 0;
        while (!scope.stopping() && failed.size() < MAX_FAILED_PER_PASS) {
            long started = System.nanoTime();
            Batch batch = Transactions.inTransaction(pool, tx -> batch(tx, failed));
            // the time of each batch, commit included: where a slow sweep spends it (DEBUG)
            LOG.debugf("%s: batch of %d claimed, %d deleted in %d ms", name(), batch.claimed(), batch.objects(),
                    (System.nanoTime() - started) / 1_000_000);
            if (batch.claimed() == 0) {
                break;
            }
            for (String key : batch.failed()) {
                scope.error(name(), key + " could not be deleted (kept queued)");
            }
            failed.addAll(batch.failed());
            scope.report(name(), batch.objects(), batch.bytes());
            total += batch.objects();
            scope.progress(name(), total + " " + done());
        }
    }

    private void dryRun(RunScope scope) {
        K after = first();
        long total = 0;
        while (!scope.stopping()) {
            K from = after;
            Page<K> page = Transactions.readOnly(pool, tx -> dryRunPage(tx, from));
            if (page.last() == null) {
                break;
            }
            after = page.last();
            scope.report(name(), page.objects(), page.bytes());
            total += page.objects();
            scope.progress(name(), "dry run: " + total + " would be " + done());
        }
    }
}
