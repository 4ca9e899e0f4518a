package dev.berth.gc.collector;

import dev.berth.gc.support.RecordingScope;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.storage.BlobStore;
import dev.berth.gc.collector.mark.MarkCollector;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The mark on 10 000 repositories, 200 000 manifests, 1 000 000 references and about as many links. Opt-in (it loads
 * the data set first), so it is a bench, not a test of every build (surefire runs *Test only): {@code ./mvnw -pl gc-worker
 * -am verify -Dtest=MarkScaleBench -Dsurefire.failIfNoSpecifiedTests=false}. It
 * queues exactly what a plain anti-join count finds; the time it took is logged (a measurement, not an assertion).
 */
@QuarkusTest
@TestProfile(FilesystemCollectorsTest.Profile.class)
class MarkScaleBench {
    private static final Logger LOG = Logger.getLogger(MarkScaleBench.class);

    @Inject
    Pool pool;
    @Inject
    BlobStore store;
    @Inject
    Vertx vertx;
    @Inject
    MarkCollector mark;

    @Test
    void markOnTenThousandRepositoriesAndAMillionReferences() {
        Fixtures db = new Fixtures(pool, store, vertx);
        db.reset();
        long loading = System.nanoTime();
        db.sql("insert into repository (name) select 'scale/r' || g from generate_series(1, 10000) g");
        db.sql("insert into blob (digest, size, storage_key, last_touched_at) select 'sha256:' || lpad(to_hex(g), 64, '0'), "
                + "100, 'blobs/s' || g || '/data', now() - interval '2 hours' from generate_series(1, 101000) g");
        db.sql("insert into manifest (repository_id, digest, media_type, size, payload) select r.id, 'sha256:m' || r.id "
                + "|| '-' || k, 'application/vnd.oci.image.manifest.v1+json', 2, '\\x7b7d'::bytea "
                + "from repository r, generate_series(1, 20) k order by r.id, k");
        // 5 layers per manifest among the first 100 000 blobs (manifest ids run per repository: 100 distinct layers
        // each, so about 1 000 000 links); the last 1 000 blobs are orphans
        db.sql("insert into manifest_reference (manifest_id, digest, kind) select m.id, 'sha256:' || "
                + "lpad(to_hex(((m.id * 5 + j) % 100000) + 1), 64, '0'), 'layer' from manifest m, generate_series(0, 4) j");
        db.sql("insert into repository_blob (repository_id, digest, last_touched_at) select distinct m.repository_id, "
                + "r.digest, now() - interval '2 hours' from manifest m join manifest_reference r on r.manifest_id = m.id");
        // one more link per repository, mostly unreferenced there
        db.sql("insert into repository_blob (repository_id, digest, last_touched_at) select id, 'sha256:' || "
                + "lpad(to_hex(((id * 7919) % 100000) + 1), 64, '0'), now() - interval '2 hours' from repository "
                + "on conflict do nothing");
        db.sql("truncate gc_link_candidate, gc_blob_candidate");
        db.sql("analyze");
        long references = db.count("select count(*) from manifest_reference");
        long links = db.count("select count(*) from repository_blob");
        long expectedLinks = db.count("select count(*) from repository_blob l where not exists (select 1 from manifest m "
                + "join manifest_reference r on r.manifest_id = m.id where m.repository_id = l.repository_id "
                + "and r.digest = l.digest)");
        LOG.infof("SCALE loaded %d references, %d links in %.1f s", references, links, (System.nanoTime() - loading) / 1e9);

        RecordingScope scope = new RecordingScope(false);
        long start = System.nanoTime();
        mark.collect(scope);
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(db.count("select count(*) from gc_link_candidate")).isEqualTo(expectedLinks);
        assertThat(db.count("select count(*) from gc_blob_candidate")).isEqualTo(1000);
        assertThat(scope.objects("mark")).isEqualTo(expectedLinks + 1000);
        LOG.infof("SCALE mark: 10000 repositories, %d references, %d links, 101000 blobs: queued %d link and 1000 blob "
                + "candidates in %.2f s", references, links, expectedLinks, seconds);
        db.reset();
    }
}
