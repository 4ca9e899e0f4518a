package dev.berth.gc.collector.untagged;

import static dev.berth.gc.support.RegistryRows.blob;
import static dev.berth.gc.support.RegistryRows.events;
import static dev.berth.gc.support.RegistryRows.manifest;
import static dev.berth.gc.support.RegistryRows.manifests;
import static dev.berth.gc.support.RegistryRows.reference;
import static dev.berth.gc.support.RegistryRows.repository;
import static dev.berth.gc.support.RegistryRows.tag;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.gc.collector.manifest.Decision;
import dev.berth.gc.collector.manifest.ManifestSweeper;
import dev.berth.gc.collector.manifest.Sql;
import dev.berth.gc.support.GcDatabase;
import dev.berth.gc.support.PolicyProfile;
import dev.berth.gc.support.RecordingScope;
import dev.berth.gc.support.RegistryRows;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(GcDatabase.class)
@TestProfile(PolicyProfile.class)
class UntaggedCollectorTest {

    @Inject
    UntaggedCollector collector;

    @Inject
    ManifestSweeper sweeper;

    @Inject
    Pool pool;

    private RecordingScope run(boolean dryRun) {
        RecordingScope scope = new RecordingScope(dryRun);
        collector.collect(scope);
        return scope;
    }

    /** Old untagged manifests around kept ones; returns the repository id. */
    private static long seed(String name) {
        long repo = repository(name);
        blob(name + "-layer-x", 100);
        blob(name + "-layer-shared", 200);
        long index = manifest(repo, "sha256:index", null, 30);
        long child = manifest(repo, "sha256:child", null, 30);
        reference(index, "sha256:child", "manifest");
        reference(child, name + "-layer-x", "layer");
        long tagged = manifest(repo, "sha256:tagged", null, 30);
        reference(tagged, name + "-layer-shared", "layer");
        manifest(repo, "sha256:tagged-sig", "sha256:tagged", 30);
        long lone = manifest(repo, "sha256:lone", null, 30);
        reference(lone, name + "-layer-shared", "layer");
        manifest(repo, "sha256:lone-sig", "sha256:lone", 30);
        manifest(repo, "sha256:signed", null, 30);
        long signature = manifest(repo, "sha256:signature", "sha256:signed", 30);
        manifest(repo, "sha256:young", null, 1);
        long keptIndex = manifest(repo, "sha256:kept-index", null, 30);
        manifest(repo, "sha256:kept-child", null, 30);
        reference(keptIndex, "sha256:kept-child", "manifest");
        long youngIndex = manifest(repo, "sha256:young-index", null, 1);
        manifest(repo, "sha256:young-child", null, 30);
        reference(youngIndex, "sha256:young-child", "manifest");
        tag(repo, "tagged", tagged, 30);
        tag(repo, "signature", signature, 30);
        tag(repo, "kept", keptIndex, 30);
        return repo;
    }

    @Test
    void oldUntaggedManifestsGoWithTheirChildrenAndReferrers() {
        long repo = seed("unt/app");

        RecordingScope scope = run(false);

        // index + its child, lone + its signature; kept: tagged and their signatures, subjects of tagged referrers,
        // young manifests and the children of tagged or young indexes
        assertThat(manifests(repo)).containsExactly("sha256:kept-child", "sha256:kept-index", "sha256:signature",
                "sha256:signed", "sha256:tagged", "sha256:tagged-sig", "sha256:young", "sha256:young-child",
                "sha256:young-index");
        assertThat(scope.objects("untagged")).isEqualTo(4);
        assertThat(scope.bytes("untagged")).isEqualTo(100); // the shared layer is still referenced by tagged
        assertThat(events("unt/app")).containsExactlyInAnyOrder(
                "manifest.deleted sha256:child application/vnd.oci.image.manifest.v1+json gc-worker",
                "manifest.deleted sha256:index application/vnd.oci.image.manifest.v1+json gc-worker",
                "manifest.deleted sha256:lone application/vnd.oci.image.manifest.v1+json gc-worker",
                "manifest.deleted sha256:lone-sig application/vnd.oci.image.manifest.v1+json gc-worker");
    }

    @Test
    void repositoriesNotOptedInAreLeftAlone() {
        long repo = seed("elsewhere/app");

        run(false);

        assertThat(manifests(repo)).hasSize(13);
    }

    @Test
    void aDryRunChangesNothingAndReportsWhatTheRunThenDeletes() {
        long repo = seed("unt/dry");

        RecordingScope dry = run(true);
        assertThat(manifests(repo)).hasSize(13);
        assertThat(events("unt/dry")).isEmpty();

        RecordingScope real = run(false);
        assertThat(manifests(repo)).hasSize(9);
        assertThat(real.objects("untagged")).isEqualTo(4);
        assertThat(dry.objects("untagged")).isEqualTo(real.objects("untagged"));
        assertThat(dry.bytes("untagged")).isEqualTo(real.bytes("untagged"));
    }

    @Test
    void aManifestTaggedDuringTheRunIsSkipped() throws Exception {
        long repo = repository("unt/race");
        long m = manifest(repo, "sha256:race", null, 30);
        try (Connection push = RegistryRows.connection()) {
            push.setAutoCommit(false);
            try (Statement s = push.createStatement()) {
                s.executeUpdate("insert into tag (repository_id, name, manifest_id) values (" + repo + ", 'new', " + m + ")");
            }
            run(false);
            push.commit();
        }
        assertThat(manifests(repo)).containsExactly("sha256:race");
    }

    @Test
    void theRecheckSeesAnIndexCommittedAfterTheLock() throws Exception {
        long repo = repository("unt/recheck");
        long child = manifest(repo, "sha256:child", null, 30);
        OffsetDateTime limit = OffsetDateTime.now().minusDays(7);
        Decision after = Sql.inTransaction(pool, (SqlConnection c) -> {
            Decision first = decide(c, repo, limit, null);
            assertThat(first.manifests()).containsExactly(child);
            ManifestSweeper.Locked locked = sweeper.lock(c, first);
            assertThat(locked.manifests()).containsExactly(child);
            // a push that does not lock its children commits an index naming the child meanwhile
            long index = manifest(repo, "sha256:index", null, 0);
            reference(index, "sha256:child", "manifest");
            return decide(c, repo, limit, locked.manifests());
        });
        assertThat(after.manifests()).isEmpty();
    }

    private static Decision decide(SqlConnection c, long repo, OffsetDateTime limit, Long[] locked) {
        return new Decision(List.of(),
                Sql.longs(Sql.run(c, UntaggedCollector.DECIDE, Tuple.of(repo, limit, locked))));
    }
}
