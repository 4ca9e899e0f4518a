package dev.berth.gc.collector.retention;

import static dev.berth.gc.support.RegistryRows.blob;
import static dev.berth.gc.support.RegistryRows.events;
import static dev.berth.gc.support.RegistryRows.manifest;
import static dev.berth.gc.support.RegistryRows.manifests;
import static dev.berth.gc.support.RegistryRows.reference;
import static dev.berth.gc.support.RegistryRows.repository;
import static dev.berth.gc.support.RegistryRows.tag;
import static dev.berth.gc.support.RegistryRows.tags;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.gc.support.GcDatabase;
import dev.berth.gc.support.PolicyProfile;
import dev.berth.gc.support.RecordingScope;
import dev.berth.gc.support.RegistryRows;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import dev.berth.gc.collector.manifest.Decision;
import dev.berth.gc.collector.manifest.ManifestSweeper;
import dev.berth.gc.collector.manifest.ManifestSweeper.Repo;
import dev.berth.gc.collector.manifest.Sql;
import dev.berth.gc.config.GcConfig;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(GcDatabase.class)
@TestProfile(PolicyProfile.class)
class RetentionCollectorTest {

    @Inject
    RetentionCollector collector;

    @Inject
    ManifestSweeper sweeper;

    @Inject
    GcConfig config;

    @Inject
    Pool pool;

    private RecordingScope run(boolean dryRun) {
        RecordingScope scope = new RecordingScope(dryRun);
        collector.collect(scope);
        return scope;
    }

    @Test
    void keepLastKeepsTheNewestAndProtectsLatestAndReleases() {
        long repo = repository("ret/keep/app");
        for (int i = 1; i <= 6; i++) {
            tag(repo, i == 6 ? "1.2.3-rc1" : "t" + i, manifest(repo, "sha256:k" + i, null, 40), i);
        }
        tag(repo, "latest", RegistryRows.queryLong("select id from registry.manifest where digest = 'sha256:k5'"), 9);
        tag(repo, "v1.2.3", RegistryRows.queryLong("select id from registry.manifest where digest = 'sha256:k4'"), 9);

        run(false);

        // newest two candidates kept, latest and the release protected (and not counted); the pre-release is not
        assertThat(tags(repo)).containsExactly("latest", "t1", "t2", "v1.2.3");
        assertThat(manifests(repo)).containsExactly("sha256:k1", "sha256:k2", "sha256:k4", "sha256:k5");
    }

    @Test
    void olderThanDeletesOnlyOldTagsAndWritesEvents() {
        long repo = repository("ret/age/app");
        blob("sha256:layer-old", 1000);
        blob("sha256:layer-shared", 500);
        long old = manifest(repo, "sha256:old", null, 60);
        reference(old, "sha256:layer-old", "layer");
        reference(old, "sha256:layer-shared", "layer");
        long fresh = manifest(repo, "sha256:fresh", null, 60);
        reference(fresh, "sha256:layer-shared", "layer");
        tag(repo, "old", old, 40);
        tag(repo, "fresh", fresh, 1);

        RecordingScope scope = run(false);

        assertThat(tags(repo)).containsExactly("fresh");
        assertThat(manifests(repo)).containsExactly("sha256:fresh");
        // one tag + one manifest; only the layer nothing else references is freed
        assertThat(scope.objects("retention")).isEqualTo(2);
        assertThat(scope.bytes("retention")).isEqualTo(1000);
        assertThat(events("ret/age/app")).containsExactly(
                "tag.deleted sha256:old old application/vnd.oci.image.manifest.v1+json gc-worker",
                "manifest.deleted sha256:old application/vnd.oci.image.manifest.v1+json gc-worker");
        // the deleted manifest's blobs are queued for the link collector by registry's trigger
        assertThat(RegistryRows.strings("select digest from registry.gc_link_candidate where repository_id = ? "
                + "order by digest", repo)).containsExactly("sha256:layer-old", "sha256:layer-shared");
    }

    @Test
    void includeAndExcludeChooseTheCandidates() {
        long repo = repository("ret/filter/app");
        tag(repo, "ci-1", manifest(repo, "sha256:f1", null, 40), 10);
        tag(repo, "ci-keep-1", manifest(repo, "sha256:f2", null, 40), 10);
        tag(repo, "release", manifest(repo, "sha256:f3", null, 40), 10);

        run(false);

        assertThat(tags(repo)).containsExactly("ci-keep-1", "release");
        assertThat(manifests(repo)).containsExactly("sha256:f2", "sha256:f3");
    }

    @Test
    void anIndexTakesItsUntaggedChildrenAndReferrersUnlessSomethingKeepsThem() {
        long repo = repository("ret/age/multi");
        long index = manifest(repo, "sha256:index", null, 60);
        manifest(repo, "sha256:child-only", null, 60);
        manifest(repo, "sha256:child-shared", null, 60);
        long tagged = manifest(repo, "sha256:child-tagged", null, 60);
        reference(index, "sha256:child-only", "manifest");
        reference(index, "sha256:child-shared", "manifest");
        reference(index, "sha256:child-tagged", "manifest");
        long other = manifest(repo, "sha256:other-index", null, 60);
        reference(other, "sha256:child-shared", "manifest");
        manifest(repo, "sha256:sig", "sha256:index", 60);
        manifest(repo, "sha256:sig-of-sig", "sha256:sig", 60);
        manifest(repo, "sha256:child-sig", "sha256:child-shared", 60);
        tag(repo, "old", index, 40);
        tag(repo, "other", other, 1);
        tag(repo, "arm", tagged, 1);

        run(false);

        assertThat(manifests(repo)).containsExactly("sha256:child-shared", "sha256:child-sig", "sha256:child-tagged",
                "sha256:other-index");
        assertThat(tags(repo)).containsExactly("arm", "other");
    }

    @Test
    void aTaggedReferrerKeepsItsSubject() {
        long repo = repository("ret/age/signed");
        long image = manifest(repo, "sha256:image", null, 60);
        long signature = manifest(repo, "sha256:signature", "sha256:image", 60);
        tag(repo, "old", image, 40);
        tag(repo, "signature", signature, 1);

        run(false);

        assertThat(tags(repo)).containsExactly("signature");
        assertThat(manifests(repo)).containsExactly("sha256:image", "sha256:signature");
    }

    @Test
    void aPolicyWithoutLimitIsAnErrorAndDeletesNothing() {
        long repo = repository("ret/unlimited/app");
        tag(repo, "t", manifest(repo, "sha256:u", null, 60), 60);

        RecordingScope scope = run(false);

        assertThat(scope.errors).anyMatch(e -> e.contains("unlimited") && e.contains("neither keep-last nor older-than"));
        assertThat(tags(repo)).containsExactly("t");
    }

    @Test
    void aDryRunChangesNothingAndReportsWhatTheRunThenDeletes() {
        long repo = repository("ret/keep/dry");
        for (int i = 1; i <= 4; i++) {
            long m = manifest(repo, "sha256:d" + i, null, 40);
            reference(m, "sha256:dry-layer-" + i, "layer");
            blob("sha256:dry-layer-" + i, 100L * i);
            tag(repo, "t" + i, m, i);
        }
        long events = RegistryRows.queryLong("select count(*) from registry.outbox");

        RecordingScope dry = run(true);

        assertThat(tags(repo)).containsExactly("t1", "t2", "t3", "t4");
        assertThat(manifests(repo)).hasSize(4);
        assertThat(RegistryRows.queryLong("select count(*) from registry.outbox")).isEqualTo(events);

        RecordingScope real = run(false);

        assertThat(tags(repo)).containsExactly("t1", "t2");
        assertThat(real.objects("retention")).isEqualTo(4); // t3, t4 and their manifests
        assertThat(real.bytes("retention")).isEqualTo(700);
        assertThat(dry.objects("retention")).isEqualTo(real.objects("retention"));
        assertThat(dry.bytes("retention")).isEqualTo(real.bytes("retention"));
    }

    @Test
    void aTagPushedDuringTheRunKeepsItsManifest() throws Exception {
        long repo = repository("ret/age/race");
        long m = manifest(repo, "sha256:race", null, 60);
        tag(repo, "old", m, 40);
        try (Connection push = RegistryRows.connection()) {
            push.setAutoCommit(false);
            try (Statement s = push.createStatement()) {
                // a push tagging the manifest, not yet committed: its foreign-key check holds a lock on the manifest
                s.executeUpdate("insert into tag (repository_id, name, manifest_id) values (" + repo + ", 'new', " + m + ")");
            }
            RecordingScope scope = run(false);
            assertThat(scope.progress).anyMatch(p -> p.contains("policy age") && p.contains("in use by a push"));
            push.commit();
        }

        assertThat(tags(repo)).containsExactly("new");
        assertThat(manifests(repo)).containsExactly("sha256:race");
        run(false);
        assertThat(manifests(repo)).containsExactly("sha256:race");
    }

    @Test
    void aTagMovedDuringTheRunIsSkipped() throws Exception {
        long repo = repository("ret/age/moved");
        long m = manifest(repo, "sha256:before", null, 60);
        long other = manifest(repo, "sha256:after", null, 0);
        tag(repo, "old", m, 40);
        try (Connection push = RegistryRows.connection()) {
            push.setAutoCommit(false);
            try (Statement s = push.createStatement()) {
                // a push moving the tag, not yet committed: it holds the tag row
                s.executeUpdate("update tag set manifest_id = " + other + ", updated_at = now() where repository_id = "
                        + repo + " and name = 'old'");
            }
            run(false);
            push.commit();
        }

        assertThat(RegistryRows.strings("select m.digest from registry.tag t join registry.manifest m "
                + "on m.id = t.manifest_id where t.repository_id = ?", repo)).containsExactly("sha256:after");
        // the manifest the tag left is untagged now: the untagged collector's, not retention's
        assertThat(manifests(repo)).containsExactly("sha256:after", "sha256:before");
    }

    @Test
    void aPushThatWaitsForTheDeletionStoresItsTagAfterIt() throws Exception {
        long repo = repository("ret/age/later");
        long m = manifest(repo, "sha256:gone", null, 60);
        long other = manifest(repo, "sha256:next", null, 0);
        tag(repo, "old", m, 40);
        RetentionPolicy policy = RetentionPolicy.of("age", config.retention().get("age"));
        OffsetDateTime limit = OffsetDateTime.now().minus(policy.olderThan());
        Repo target = new Repo(repo, "ret/age/later");
        CompletableFuture<Integer> push = new CompletableFuture<>();
        Sql.inTransaction(pool, c -> {
            Decision first = RetentionCollector.decide(c, target, policy, limit, null, null);
            ManifestSweeper.Locked locked = sweeper.lock(c, first);
            Decision decision = RetentionCollector.decide(c, target, policy, limit, locked.tags(), locked.manifests());
            assertThat(decision.manifests()).containsExactly(m);
            sweeper.delete(c, decision, 0);
            // a push of the same tag (registry-api's upsert) meanwhile waits for the deleted row
            CompletableFuture.runAsync(() -> {
                try (Connection connection = RegistryRows.connection()) {
                    push.complete(RegistryRows.prepare(connection, "insert into tag (repository_id, name, manifest_id) "
                            + "values (?, 'old', ?) on conflict (repository_id, name) do update set manifest_id = "
                            + "excluded.manifest_id, updated_at = now()", repo, other).executeUpdate());
                } catch (Exception e) {
                    push.completeExceptionally(e);
                }
            });
            awaitWaitingForLock();
            assertThat(push).isNotDone();
            return null;
        });

        assertThat(push.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(tags(repo)).containsExactly("old");
        assertThat(manifests(repo)).containsExactly("sha256:next");
    }

    /** Until another session waits for a row lock (the push blocked by this test's transaction). */
    private static void awaitWaitingForLock() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (RegistryRows.queryLong("select count(*) from pg_stat_activity where wait_event_type = 'Lock'") == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the push never waited for the lock");
            }
            Thread.onSpinWait();
        }
    }
}
