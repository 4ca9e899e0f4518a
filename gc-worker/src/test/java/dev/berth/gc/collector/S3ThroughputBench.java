package dev.berth.gc.collector;

import dev.berth.gc.support.RecordingScope;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.storage.BlobStore;
import dev.berth.devtools.testing.S3TestResource;
import dev.berth.gc.collector.Fixtures.Blob;
import dev.berth.gc.collector.blobs.BlobsCollector;
import dev.berth.gc.collector.objects.ObjectsCollector;
import dev.berth.gc.support.GcDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A few thousand garbage blobs on S3Proxy with the default batch size (1 000: one DeleteObjects per batch): all are
 * collected, and the time each collector took is logged (a measurement, not an assertion). On demand, like every
 * *Bench: {@code ./mvnw -pl gc-worker -am verify -Dtest=S3ThroughputBench -Dsurefire.failIfNoSpecifiedTests=false};
 * bench/gc measures the whole service against distribution.
 */
@QuarkusTest
@TestProfile(S3ThroughputBench.Profile.class)
class S3ThroughputBench {
    private static final Logger LOG = Logger.getLogger(S3ThroughputBench.class);
    static final int BLOBS = Integer.getInteger("berthGcThroughputBlobs", 3000);

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("gc.batch-size", "1000");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(GcDatabase.class),
                    new TestResourceEntry(S3TestResource.class, Map.of("bucket", "gc-throughput")));
        }
    }

    @Inject
    Pool pool;
    @Inject
    BlobStore store;
    @Inject
    Vertx vertx;
    @Inject
    BlobsCollector blobs;
    @Inject
    ObjectsCollector objects;

    @Test
    void thousandsOfBlobsAreCollected() throws Exception {
        Fixtures db = new Fixtures(pool, store, vertx);
        db.reset();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        List<Future<Blob>> created = new ArrayList<>();
        for (int i = 0; i < BLOBS; i++) {
            created.add(threads.submit(() -> db.blob(1024, Fixtures.OLD)));
        }
        List<String> digests = new ArrayList<>();
        for (Future<Blob> f : created) {
            digests.add(f.get().digest());
        }
        threads.shutdown();
        db.sql("insert into gc_blob_candidate (digest) select unnest($1::text[])", (Object) digests.toArray(String[]::new));

        RecordingScope scope = new RecordingScope(false);
        long start = System.nanoTime();
        blobs.collect(scope);
        long blobsDone = System.nanoTime();
        objects.collect(scope);
        long objectsDone = System.nanoTime();

        assertThat(scope.objects("blobs")).isEqualTo(BLOBS);
        assertThat(scope.objects("objects")).isEqualTo(BLOBS);
        assertThat(scope.errors).isEmpty();
        assertThat(db.count("select count(*) from gc_pending_object")).isZero();
        double blobSeconds = (blobsDone - start) / 1e9;
        double objectSeconds = (objectsDone - blobsDone) / 1e9;
        LOG.infof("THROUGHPUT blobs collector: %d blob rows in %.2f s = %.0f/s; objects collector on S3Proxy: %d objects "
                + "in %.2f s = %.0f/s; together %.0f blobs/s", BLOBS, blobSeconds, BLOBS / blobSeconds, BLOBS,
                objectSeconds, BLOBS / objectSeconds, BLOBS / (blobSeconds + objectSeconds));
    }
}
