package dev.berth.gc.collector.mark;

import dev.berth.gc.collector.Collector;
import dev.berth.gc.collector.RunScope;
import dev.berth.gc.collector.mark.MarkRepository.Slice;
import dev.berth.gc.config.GcConfig;
import dev.berth.gc.sql.Transactions;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code mark} (full runs): the queues are hints. A candidate dropped because its item was in use is not queued again
 * when that use ends without a trigger seeing it (a manifest of another repository deleted, say), and would keep its
 * garbage forever. The mark re-enqueues everything that looks unused, set-based (anti-joins), in slices of
 * {@value #REPOSITORY_SLICE} repositories and {@value #BLOB_SLICE} blobs, each its own short transaction, due when its
 * grace period ends. It deletes nothing: {@code links} and {@code blobs} decide under locks as always. It reports the
 * candidates it queued (no bytes); a dry run counts what it would queue (each slice rolled back).
 */
@ApplicationScoped
public class MarkCollector implements Collector {
    public static final String NAME = "mark";
    static final int REPOSITORY_SLICE = 500;
    static final int BLOB_SLICE = 20_000;

    private final Pool pool;
    private final MarkRepository mark;
    private final GcConfig config;

    public MarkCollector(Pool pool, MarkRepository mark, GcConfig config) {
        this.pool = pool;
        this.mark = mark;
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Mode mode() {
        return Mode.SINGLE;
    }

    @Override
    public void collect(RunScope scope) {
        String would = scope.dryRun() ? "dry run: would queue " : "queued ";
        long links = 0;
        long after = Long.MIN_VALUE;
        while (!scope.stopping()) {
            long from = after;
            Slice slice = inSlice(scope, tx -> mark.links(tx, from, REPOSITORY_SLICE, config.grace()));
            if (slice.last() == null) {
                break;
            }
            after = (Long) slice.last();
            links += slice.queued();
            scope.report(NAME, slice.queued(), 0);
            scope.progress(NAME, would + links + " link candidates (repositories up to id " + after + ")");
        }
        long blobs = 0;
        String afterDigest = "";
        while (!scope.stopping()) {
            String from = afterDigest;
            Slice slice = inSlice(scope, tx -> mark.blobs(tx, from, BLOB_SLICE, config.grace()));
            if (slice.last() == null) {
                break;
            }
            afterDigest = (String) slice.last();
            blobs += slice.queued();
            scope.report(NAME, slice.queued(), 0);
            scope.progress(NAME, would + links + " link candidates, " + blobs + " blob candidates");
        }
    }

    private Slice inSlice(RunScope scope, java.util.function.Function<io.vertx.mutiny.sqlclient.SqlConnection, Slice> work) {
        return scope.dryRun() ? Transactions.readOnly(pool, work) : Transactions.inTransaction(pool, work);
    }
}
