package dev.berth.gc.collector;

import dev.berth.gc.support.RecordingScope;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.core.storage.BlobStore;
import dev.berth.gc.collector.Fixtures.Blob;
import dev.berth.gc.collector.blobs.BlobsCollector;
import dev.berth.gc.collector.links.LinksCollector;
import dev.berth.gc.collector.mark.MarkCollector;
import dev.berth.gc.collector.objects.ObjectsCollector;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The links, blobs, objects and mark collectors on the real database and a real store (a subclass per driver), each
 * called as a run would call it. The tests share the database: each starts from empty tables.
 */
public abstract class CollectorsTestBase {
    static final Duration RECENT = Duration.ofMinutes(1);

    @Inject
    Pool pool;
    @Inject
    BlobStore store;
    @Inject
    Vertx vertx;
    @Inject
    LinksCollector links;
    @Inject
    BlobsCollector blobs;
    @Inject
    ObjectsCollector objects;
    @Inject
    MarkCollector mark;

    Fixtures db;

    @BeforeEach
    void reset() {
        db = new Fixtures(pool, store, vertx);
        db.reset();
    }

    /** links, blobs, objects in a run's order; returns the scope with their reports. */
    RecordingScope sweep(boolean dryRun) throws Exception {
        RecordingScope scope = new RecordingScope(dryRun);
        links.collect(scope);
        blobs.collect(scope);
        objects.collect(scope);
        return scope;
    }

    @Test
    void garbageGoesOnlyPastGraceAndWhatIsUsedStays() throws Exception {
        long repo = db.repository("team/app");
        Blob garbage = db.blob(1000, Fixtures.OLD);
        db.link(repo, garbage, Fixtures.OLD);
        Blob referenced = db.blob(2000, Fixtures.OLD);
        db.link(repo, referenced, Fixtures.OLD);
        db.manifest(repo, referenced);
        Blob linkTouched = db.blob(3000, Fixtures.OLD);
        db.link(repo, linkTouched, RECENT);
        Blob blobTouched = db.blob(4000, RECENT);
        db.link(repo, blobTouched, Fixtures.OLD);
        java.util.concurrent.atomic.AtomicInteger wakes = new java.util.concurrent.atomic.AtomicInteger();
        var relay = vertx.eventBus().consumer("berth.outbox.pending", m -> wakes.incrementAndGet());
        io.vertx.core.Promise<Void> registered = io.vertx.core.Promise.promise();
        relay.completionHandler(registered);
        registered.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

        RecordingScope scope = sweep(false);

        assertThat(scope.objects("links")).isEqualTo(1);
        assertThat(scope.bytes("links")).isEqualTo(1000);
        assertThat(scope.objects("blobs")).isEqualTo(1);
        assertThat(scope.bytes("blobs")).isEqualTo(1000);
        assertThat(scope.objects("objects")).isEqualTo(1);
        assertThat(scope.errors).isEmpty();
        assertThat(db.count("select count(*) from blob where digest = $1", garbage.digest())).isZero();
        assertThat(db.inStorage(garbage.key())).isFalse();
        assertThat(db.count("select count(*) from gc_pending_object")).isZero();
        for (Blob kept : List.of(referenced, linkTouched, blobTouched)) {
            assertThat(db.count("select count(*) from repository_blob where digest = $1", kept.digest())).isEqualTo(1);
            assertThat(db.inStorage(kept.key())).isTrue();
        }
        // the referenced link left the queue; those in grace wait until their grace ends (about an hour from now)
        assertThat(db.count("select count(*) from gc_link_candidate where digest = $1", referenced.digest())).isZero();
        assertThat(db.count("select count(*) from gc_link_candidate where not_before > now() + interval '50 minutes' "
                + "and digest = any($1::text[])", (Object) new String[] {linkTouched.digest(), blobTouched.digest()}))
                .isEqualTo(2);
        // one blob.deleted event by gc-worker, unpositioned (the relay positions it)
        List<Row> events = db.sql("select event_type, repository, digest, size, actor, position from outbox");
        assertThat(events).hasSize(1);
        Row event = events.get(0);
        assertThat(event.getString(0)).isEqualTo("blob.deleted");
        assertThat(event.getString(1)).isEqualTo("team/app");
        assertThat(event.getString(2)).isEqualTo(garbage.digest());
        assertThat(event.getLong(3)).isEqualTo(1000);
        assertThat(event.getString(4)).isEqualTo("gc-worker");
        assertThat(event.getValue(5)).isNull();
        // and registry-api's relay is woken once the deletion committed
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (wakes.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        relay.unregister();
        assertThat(wakes.get()).isEqualTo(1);
    }

    @Test
    void aBlobReferencedByAManifestOfAnotherRepositoryStays() throws Exception {
        long a = db.repository("a/app");
        long b = db.repository("b/app");
        Blob shared = db.blob(500, Fixtures.OLD);
        db.link(a, shared, Fixtures.OLD);
        // b's manifest references it without a link there (a push that mounted nothing, or a lost link)
        db.manifest(b, shared);

        RecordingScope scope = sweep(false);

        assertThat(scope.objects("links")).isEqualTo(1);
        assertThat(scope.objects("blobs")).isZero();
        assertThat(db.count("select count(*) from blob where digest = $1", shared.digest())).isEqualTo(1);
        assertThat(db.count("select count(*) from gc_blob_candidate")).isZero();
        assertThat(db.inStorage(shared.key())).isTrue();
    }

    @Test
    void aDryRunCountsAndChangesNothing() throws Exception {
        long repo = db.repository("dry/app");
        Blob unlinked = db.blob(700, Fixtures.OLD);
        db.link(repo, unlinked, Fixtures.OLD);
        db.sql("delete from repository_blob where digest = $1", unlinked.digest()); // queues a blob candidate
        Blob linked = db.blob(300, Fixtures.OLD);
        db.link(repo, linked, Fixtures.OLD);
        db.sql("insert into gc_pending_object (storage_key, digest, size) values ('blobs/gone/data', 'sha256:gone', 11)");
        String before = snapshot();

        RecordingScope scope = sweep(true);
        RecordingScope marked = new RecordingScope(true);
        mark.collect(marked);

        assertThat(scope.objects("links")).isEqualTo(1);
        assertThat(scope.bytes("links")).isEqualTo(300);
        assertThat(scope.objects("blobs")).isEqualTo(1);
        assertThat(scope.bytes("blobs")).isEqualTo(700);
        assertThat(scope.objects("objects")).isEqualTo(1);
        assertThat(scope.bytes("objects")).isEqualTo(11);
        assertThat(snapshot()).isEqualTo(before);
        assertThat(db.inStorage(unlinked.key())).isTrue();
        assertThat(db.inStorage(linked.key())).isTrue();
    }

    /** Every table the collectors change, as text. */
    private String snapshot() {
        StringBuilder s = new StringBuilder();
        for (String q : List.of("select digest, size, storage_key, last_touched_at::text from blob order by digest",
                "select repository_id, digest, last_touched_at::text from repository_blob order by digest",
                "select repository_id, digest, not_before::text from gc_link_candidate order by digest",
                "select digest, not_before::text from gc_blob_candidate order by digest",
                "select storage_key, digest, size from gc_pending_object order by storage_key",
                "select sequence, event_type from outbox order by sequence")) {
            for (Row row : db.sql(q)) {
                s.append(row.deepToString()).append('\n');
            }
            s.append("--\n");
        }
        return s.toString();
    }

    @Test
    void collectorsRunningAtOnceNeverTakeTheSameItem() throws Exception {
        int n = 300;
        List<Blob> garbage = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Blob blob = db.blob(10 + i, Fixtures.OLD);
            garbage.add(blob);
            db.sql("insert into gc_blob_candidate (digest) values ($1)", blob.digest());
        }
        long bytes = garbage.stream().mapToLong(Blob::size).sum();

        RecordingScope first = new RecordingScope(false);
        RecordingScope second = new RecordingScope(false);
        concurrently(() -> blobs.collect(first), () -> blobs.collect(second));
        assertThat(first.objects("blobs") + second.objects("blobs")).isEqualTo(n);
        assertThat(first.bytes("blobs") + second.bytes("blobs")).isEqualTo(bytes);
        assertThat(db.count("select count(*) from gc_pending_object")).isEqualTo(n);

        concurrently(() -> objects.collect(first), () -> objects.collect(second));
        assertThat(first.objects("objects") + second.objects("objects")).isEqualTo(n);
        assertThat(first.bytes("objects") + second.bytes("objects")).isEqualTo(bytes);
        assertThat(first.errors).isEmpty();
        assertThat(second.errors).isEmpty();
        assertThat(db.count("select count(*) from gc_pending_object")).isZero();
        assertThat(db.count("select count(*) from blob")).isZero();
        for (Blob blob : garbage) {
            assertThat(db.inStorage(blob.key())).isFalse();
        }
    }

    private void concurrently(Runnable... tasks) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(tasks.length);
        try {
            List<Future<Object>> done = new ArrayList<>();
            for (Runnable task : tasks) {
                done.add(threads.submit((Callable<Object>) () -> {
                    task.run();
                    return null;
                }));
            }
            for (Future<Object> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aBatchKilledBeforeItsCommitLeavesItsRowsForTheNextPass() throws Exception {
        List<Blob> garbage = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Blob blob = db.blob(100, Fixtures.OLD);
            garbage.add(blob);
            db.sql("insert into gc_blob_candidate (digest) values ($1)", blob.digest());
        }
        blobs.collect(new RecordingScope(false));
        assertThat(db.count("select count(*) from gc_pending_object")).isEqualTo(5);

        objects.afterStorage(() -> {
            throw new IllegalStateException("killed");
        });
        try {
            assertThatThrownBy(() -> objects.collect(new RecordingScope(false))).hasMessageContaining("killed");
        } finally {
            objects.afterStorage(() -> {
            });
        }
        // storage deleted, the rows stayed: the next pass deletes again (gone already is fine) and removes them
        assertThat(db.count("select count(*) from gc_pending_object")).isEqualTo(5);
        RecordingScope next = new RecordingScope(false);
        objects.collect(next);
        assertThat(next.objects("objects")).isEqualTo(5);
        assertThat(next.errors).isEmpty();
        assertThat(db.count("select count(*) from gc_pending_object")).isZero();
        for (Blob blob : garbage) {
            assertThat(db.inStorage(blob.key())).isFalse();
        }
    }

    /**
     * An upload of the same digest claims the pending row (deletes it, uncommitted) before it puts its own object in
     * place: the collector skips that row, and once the upload commits there is nothing left to delete.
     */
    @Test
    void theObjectsCollectorNeverDeletesAnObjectAnUploadClaimed() throws Exception {
        Blob blob = db.blob(100, Fixtures.OLD);
        db.sql("insert into gc_blob_candidate (digest) values ($1)", blob.digest());
        blobs.collect(new RecordingScope(false));
        assertThat(db.count("select count(*) from gc_pending_object where digest = $1", blob.digest())).isEqualTo(1);

        SqlConnection upload = pool.getConnection().await().atMost(Duration.ofSeconds(30));
        try {
            upload.begin().await().atMost(Duration.ofSeconds(30));
            List<String> claimed = new ArrayList<>();
            upload.preparedQuery("delete from gc_pending_object where digest = $1 returning storage_key")
                    .execute(io.vertx.mutiny.sqlclient.Tuple.of(blob.digest())).await().atMost(Duration.ofSeconds(30))
                    .forEach(r -> claimed.add(r.getString(0)));
            assertThat(claimed).containsExactly(blob.key().path());

            RecordingScope scope = new RecordingScope(false);
            objects.collect(scope);
            assertThat(scope.objects("objects")).isZero();
            assertThat(db.inStorage(blob.key())).isTrue();

            upload.transaction().commit().await().atMost(Duration.ofSeconds(30));
        } finally {
            upload.close().await().atMost(Duration.ofSeconds(30));
        }
        RecordingScope after = new RecordingScope(false);
        objects.collect(after);
        assertThat(after.objects("objects")).isZero();
        assertThat(db.inStorage(blob.key())).isTrue();
    }

    @Test
    void markQueuesWhatLooksUnusedDueWhenItsGraceEnds() throws Exception {
        long repo = db.repository("mark/app");
        Blob unreferenced = db.blob(10, Fixtures.OLD);
        db.link(repo, unreferenced, Fixtures.OLD);
        Blob referenced = db.blob(20, Fixtures.OLD);
        db.link(repo, referenced, Fixtures.OLD);
        db.manifest(repo, referenced);
        Blob fresh = db.blob(30, RECENT);
        db.link(repo, fresh, RECENT);
        Blob orphan = db.blob(40, Fixtures.OLD);
        Blob referencedOnly = db.blob(50, Fixtures.OLD);
        db.manifest(db.repository("mark/other"), referencedOnly);
        // the queues lost everything (as after a restore)
        db.sql("delete from gc_link_candidate");
        db.sql("delete from gc_blob_candidate");

        RecordingScope scope = new RecordingScope(false);
        mark.collect(scope);

        assertThat(scope.objects("mark")).isEqualTo(3);
        assertThat(db.sql("select digest from gc_link_candidate where not_before <= now()")).extracting(r -> r.getString(0))
                .containsExactly(unreferenced.digest());
        assertThat(db.sql("select digest from gc_link_candidate where not_before > now() + interval '50 minutes'"))
                .extracting(r -> r.getString(0)).containsExactly(fresh.digest());
        assertThat(db.sql("select digest from gc_blob_candidate")).extracting(r -> r.getString(0))
                .containsExactly(orphan.digest());

        // queued again: nothing new
        RecordingScope again = new RecordingScope(false);
        mark.collect(again);
        assertThat(again.objects("mark")).isZero();

        // and the sweep after it collects what the mark found
        RecordingScope swept = sweep(false);
        assertThat(swept.objects("links")).isEqualTo(1);
        assertThat(swept.objects("blobs")).isEqualTo(2);
        assertThat(db.inStorage(orphan.key())).isFalse();
        assertThat(db.inStorage(unreferenced.key())).isFalse();
        assertThat(db.inStorage(referencedOnly.key())).isTrue();
    }
}
