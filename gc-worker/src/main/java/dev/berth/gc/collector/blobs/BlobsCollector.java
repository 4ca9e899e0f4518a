package dev.berth.gc.collector.blobs;

import dev.berth.gc.collector.Postponed;
import dev.berth.gc.collector.QueueCollector;
import dev.berth.gc.collector.blobs.BlobRepository.Check;
import dev.berth.gc.config.GcConfig;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code blobs}: removes blob rows nothing uses any more, from the due rows of {@code gc_blob_candidate}, and queues
 * their storage objects in {@code gc_pending_object} in the same transaction (the objects collector deletes them).
 *
 * <p>Each batch is one transaction: (1) claim due candidates {@code FOR UPDATE SKIP LOCKED}, (2) lock their blob rows
 * {@code FOR UPDATE SKIP LOCKED} (a manifest push or an upload holds them {@code FOR SHARE}, a new link's foreign key
 * check {@code FOR KEY SHARE}: such a blob is in use and looked at again later), (3) re-check in a new statement,
 * (4) delete and queue. No link can appear while the lock is held: its foreign key check waits for it, then fails.
 */
@ApplicationScoped
public class BlobsCollector extends QueueCollector<String> {
    public static final String NAME = "blobs";

    private final BlobRepository blobs;
    private final GcConfig config;

    public BlobsCollector(Pool pool, BlobRepository blobs, GcConfig config) {
        super(pool);
        this.blobs = blobs;
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected String done() {
        return "blobs removed, their objects queued";
    }

    @Override
    protected Batch batch(SqlConnection tx, Set<String> failedBefore) {
        List<String> claimed = blobs.claim(tx, config.batchSize());
        if (claimed.isEmpty()) {
            return Batch.NONE;
        }
        Set<String> locked = blobs.lock(tx, claimed);
        OffsetDateTime busyUntil = OffsetDateTime.now().plus(Postponed.BUSY);
        List<String> garbage = new ArrayList<>();
        List<String> drop = new ArrayList<>();
        List<String> later = new ArrayList<>();
        List<OffsetDateTime> laterAt = new ArrayList<>();
        long bytes = 0;
        for (Check c : blobs.check(tx, claimed, config.grace())) {
            if (!c.present() || c.linked() || c.referenced()) {
                drop.add(c.digest());
            } else if (!locked.contains(c.digest()) || c.pending()) {
                // in use right now, or an older object of it is still to be deleted: after that
                later.add(c.digest());
                laterAt.add(busyUntil);
            } else if (c.inGrace()) {
                later.add(c.digest());
                laterAt.add(c.due());
            } else {
                garbage.add(c.digest());
                drop.add(c.digest());
                bytes += c.size();
            }
        }
        blobs.delete(tx, garbage);
        blobs.drop(tx, drop);
        blobs.postpone(tx, later, laterAt);
        return new Batch(claimed.size(), garbage.size(), bytes, List.of());
    }

    @Override
    protected String first() {
        return "";
    }

    @Override
    protected Page<String> dryRunPage(SqlConnection tx, String after) {
        List<String> page = blobs.page(tx, after, config.batchSize());
        if (page.isEmpty()) {
            return new Page<>(null, 0, 0);
        }
        long objects = 0;
        long bytes = 0;
        for (Check c : blobs.check(tx, page, config.grace())) {
            if (c.present() && !c.linked() && !c.referenced() && !c.pending() && !c.inGrace()) {
                objects++;
                bytes += c.size();
            }
        }
        return new Page<>(page.get(page.size() - 1), objects, bytes);
    }
}
