package dev.berth.gc.collector.uploads;

import dev.berth.core.storage.BlobStore;
import dev.berth.gc.collector.Collector;
import dev.berth.gc.collector.RunScope;
import dev.berth.gc.collector.StorageCalls;
import dev.berth.gc.collector.uploads.UploadSessionRepository.StaleUpload;
import dev.berth.gc.config.GcConfig;
import dev.berth.gc.sql.Transactions;
import io.vertx.core.Future;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * {@code uploads}: upload sessions nobody wrote to for {@code gc.uploads.max-age} (a client that gave up, a crashed
 * push) are aborted. Per batch, in one transaction: lock the stale sessions ({@code FOR UPDATE SKIP LOCKED}: every
 * worker of a run takes its own batches, and an upload busy in registry-api is skipped), discard their storage
 * ({@link BlobStore#abortUpload}: the upload's file, or on S3 its multipart upload, pending tails and blob object),
 * delete the rows, commit. A session whose storage could not be discarded keeps its row for the next run; one whose
 * storage is gone but whose commit failed is aborted again (aborting is idempotent).
 */
@ApplicationScoped
public class UploadsCollector implements Collector {
    public static final String NAME = "uploads";
    private static final Logger LOG = Logger.getLogger(UploadsCollector.class);
    /** Storage aborts started at once within a batch. */
    private static final int PARALLEL_ABORTS = 16;

    private final Pool pool;
    private final BlobStore store;
    private final UploadSessionRepository sessions;
    private final GcConfig config;

    public UploadsCollector(Pool pool, BlobStore store, UploadSessionRepository sessions, GcConfig config) {
        this.pool = pool;
        this.store = store;
        this.sessions = sessions;
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Mode mode() {
        return Mode.SHARED;
    }

    @Override
    public void collect(RunScope scope) {
        OffsetDateTime cutoff = OffsetDateTime.now().minus(config.uploads().maxAge());
        if (scope.dryRun()) {
            long[] stale = Transactions.inTransaction(pool, sql -> sessions.countStale(sql, cutoff));
            scope.report(NAME, stale[0], stale[1]);
            scope.progress(NAME, stale[0] + " upload sessions older than " + config.uploads().maxAge()
                    + " would be aborted (" + stale[1] + " bytes)");
            return;
        }
        int batchSize = Math.max(1, config.batchSize());
        // sessions whose storage could not be discarded: not taken again in this run
        Set<UUID> failed = new HashSet<>();
        long objects = 0;
        long bytes = 0;
        while (!scope.stopping()) {
            Batch batch = Transactions.inTransaction(pool, tx -> {
                List<StaleUpload> stale = sessions.lockStale(tx, cutoff, failed, batchSize);
                List<UUID> aborted = new ArrayList<>();
                long size = 0;
                for (int from = 0; from < stale.size(); from += PARALLEL_ABORTS) {
                    List<StaleUpload> slice = stale.subList(from, Math.min(stale.size(), from + PARALLEL_ABORTS));
                    List<Future<Void>> aborts = slice.stream().map(u -> store.abortUpload(u.storageHandle())).toList();
                    for (int i = 0; i < slice.size(); i++) {
                        StaleUpload upload = slice.get(i);
                        try {
                            StorageCalls.await(aborts.get(i));
                            aborted.add(upload.id());
                            size += upload.committedSize();
                        } catch (RuntimeException e) {
                            failed.add(upload.id());
                            LOG.warnf("Upload %s could not be discarded from storage (kept for the next run): %s",
                                    upload.id(), e.getMessage());
                            scope.error(NAME, "upload " + upload.id() + ": " + e.getMessage());
                        }
                    }
                }
                sessions.delete(tx, aborted);
                return new Batch(stale.size(), aborted.size(), size);
            });
            if (batch.aborted() > 0) {
                scope.report(NAME, batch.aborted(), batch.bytes());
                objects += batch.aborted();
                bytes += batch.bytes();
                scope.progress(NAME, objects + " upload sessions aborted (" + bytes + " bytes)");
            }
            if (batch.claimed() < batchSize) {
                break;
            }
        }
    }

    private record Batch(int claimed, int aborted, long bytes) {
    }
}
