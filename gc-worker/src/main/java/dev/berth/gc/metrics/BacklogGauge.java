package dev.berth.gc.metrics;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Refreshes {@code berth.gc.backlog} every 10 s with one query: the candidate rows due now and the storage objects
 * waiting for deletion (what an autoscaler of gc-worker watches). The due indexes keep it cheap.
 */
@ApplicationScoped
public class BacklogGauge {
    private static final Logger LOG = Logger.getLogger(BacklogGauge.class);
    static final String COUNT = """
            select (select count(*) from registry.gc_link_candidate where not_before <= now()) as links,
                   (select count(*) from registry.gc_blob_candidate where not_before <= now()) as blobs,
                   (select count(*) from registry.gc_pending_object) as objects
            """;

    private final Pool pool;
    private final GcMetrics metrics;

    public BacklogGauge(Pool pool, GcMetrics metrics) {
        this.pool = pool;
        this.metrics = metrics;
    }

    @Scheduled(every = "10s", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refresh() {
        return pool.query(COUNT).execute().map(rows -> rows.iterator().next()).invoke(this::set)
                .onFailure().invoke(e -> LOG.debugf("backlog not counted: %s", e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    private void set(Row row) {
        for (String queue : GcMetrics.QUEUES) {
            metrics.backlog(queue, row.getLong(queue));
        }
    }
}
