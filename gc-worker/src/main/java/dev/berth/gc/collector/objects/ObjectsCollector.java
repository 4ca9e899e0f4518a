package dev.berth.gc.collector.objects;

import dev.berth.core.storage.BlobStore;
import dev.berth.core.storage.StorageKey;
import dev.berth.gc.collector.QueueCollector;
import dev.berth.gc.collector.objects.PendingObjectRepository.Pending;
import dev.berth.gc.config.GcConfig;
import dev.berth.gc.sql.Transactions;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * {@code objects}: deletes from storage the objects queued in {@code gc_pending_object}, a batch per transaction:
 * lock the oldest rows ({@code FOR UPDATE SKIP LOCKED}), delete their objects (S3: one {@code DeleteObjects} per
 * 1 000 keys), delete the rows of the objects storage confirmed, commit. The row lock is held while storage deletes:
 * an upload of the same digest that claims the row waits, so on the filesystem (one path per digest) the old
 * deletion can never remove its new file; a row it claimed first is skipped. A batch killed before its commit
 * leaves its rows: the next pass deletes again (a missing object is no error). A key storage refused stays queued
 * (an error of the run) and is tried again by the next run.
 */
@ApplicationScoped
public class ObjectsCollector extends QueueCollector<String> {
    public static final String NAME = "objects";
    private static final Logger LOG = Logger.getLogger(ObjectsCollector.class);

    private final PendingObjectRepository pending;
    private final BlobStore store;
    private final GcConfig config;
    private volatile Runnable afterStorage = () -> {
    };

    public ObjectsCollector(Pool pool, PendingObjectRepository pending, BlobStore store, GcConfig config) {
        super(pool);
        this.pending = pending;
        this.store = store;
        this.config = config;
    }

    /** For tests: {@code hook} runs after storage deleted a batch, before its commit (a throw: a killed batch). */
    public void afterStorage(Runnable hook) {
        this.afterStorage = hook;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected String done() {
        return "objects deleted from storage";
    }

    @Override
    protected Batch batch(SqlConnection tx, Set<String> failedBefore) {
        List<Pending> claimed = pending.claim(tx, config.batchSize(), failedBefore);
        if (claimed.isEmpty()) {
            return Batch.NONE;
        }
        List<StorageKey> keys = claimed.stream().map(p -> new StorageKey(p.storageKey())).toList();
        long started = System.nanoTime();
        Set<String> failed = new HashSet<>(awaitStorage(keys));
        LOG.debugf("objects: storage deleted %d objects in %d ms", keys.size(), (System.nanoTime() - started) / 1_000_000);
        List<String> deleted = new ArrayList<>();
        long bytes = 0;
        for (Pending p : claimed) {
            if (!failed.contains(p.storageKey())) {
                deleted.add(p.storageKey());
                bytes += p.size();
            }
        }
        afterStorage.run();
        pending.delete(tx, deleted);
        return new Batch(claimed.size(), deleted.size(), bytes, List.copyOf(failed));
    }

    /** Deletes the objects (awaited on this thread); a failure of the whole request rolls the batch back. */
    private List<String> awaitStorage(List<StorageKey> keys) {
        try {
            return store.deleteAll(keys).toCompletionStage().toCompletableFuture()
                    .get(Transactions.STATEMENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            LOG.warnf("storage could not delete %d objects: %s", keys.size(), e.getCause().toString());
            throw new IllegalStateException("storage could not delete " + keys.size() + " objects: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("storage did not answer the deletion of " + keys.size() + " objects in "
                    + Transactions.STATEMENT_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while storage deleted objects", e);
        }
    }

    @Override
    protected String first() {
        return "";
    }

    @Override
    protected Page<String> dryRunPage(SqlConnection tx, String after) {
        List<Pending> page = pending.page(tx, after, config.batchSize());
        return page.isEmpty() ? new Page<>(null, 0, 0)
                : new Page<>(page.get(page.size() - 1).storageKey(), page.size(),
                        page.stream().mapToLong(Pending::size).sum());
    }
}
