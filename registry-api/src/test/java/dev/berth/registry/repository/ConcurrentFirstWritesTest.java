package dev.berth.registry.repository;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.media.MediaTypes;
import dev.berth.devtools.testing.PostgresTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Mounts, uploads and pushes create what is missing ({@code insert ... on conflict do nothing}); when they race,
 * each must still succeed, and the repository, the manifest and their events must exist once: exactly one
 * {@code repository.created}, one {@code tag.updated} for a tag set once, one {@code manifest.pushed} per push.
 */
@QuarkusTest
class ConcurrentFirstWritesTest {
    private static final int WRITERS = 8;

    @Test
    void concurrentMountsIntoANewRepositoryCreateItOnce() throws Exception {
        String source = uniqueRepo("race-src");
        Digest config = configDigest(imageManifest(source));
        String target = uniqueRepo("race-mount");

        List<Integer> statuses = all(() -> given().post("/v2/" + target + "/blobs/uploads/?mount=" + config + "&from="
                + source).statusCode());

        assertThat(statuses).containsOnly(201);
        assertThat(count("select count(*) from registry.repository where name = ?", target)).isEqualTo(1);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'repository.created'",
                target)).isEqualTo(1);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'blob.pushed'",
                target)).as("linked once").isEqualTo(1);
        given().head("/v2/" + target + "/blobs/" + config).then().statusCode(200);
    }

    @Test
    void concurrentPushesOfOneManifestStoreItOnce() throws Exception {
        String repo = uniqueRepo("race-push");
        String manifest = imageManifest(repo);

        List<Integer> statuses = all(() -> putManifest(repo, "latest", MediaTypes.OCI_MANIFEST, manifest).statusCode());

        assertThat(statuses).containsOnly(201);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'manifest.pushed'",
                repo)).as("every push is recorded").isEqualTo(WRITERS);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'tag.updated'",
                repo)).as("the tag was set once").isEqualTo(1);
        assertThat(count("select count(*) from registry.manifest m join registry.repository p "
                + "on p.id = m.repository_id where p.name = ?", repo)).isEqualTo(1);
        assertThat(count("select count(*) from registry.manifest_reference r join registry.manifest m "
                + "on m.id = r.manifest_id join registry.repository p on p.id = m.repository_id where p.name = ?", repo))
                .as("the config, referenced once").isEqualTo(1);
        given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/latest").then().statusCode(200)
                .header("Docker-Content-Digest", Digest.sha256Of(manifest).toString());
    }

    @Test
    void concurrentFirstUploadsIntoANewRepositoryCreateItOnce() throws Exception {
        String repo = uniqueRepo("race-upload");

        List<Integer> statuses = all(() -> {
            byte[] content = randomBytes(64);
            return given().contentType("application/octet-stream").body(content)
                    .post("/v2/" + repo + "/blobs/uploads/?digest=" + Digest.sha256Of(content)).statusCode();
        });

        assertThat(statuses).containsOnly(201);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'repository.created'",
                repo)).isEqualTo(1);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'blob.pushed'",
                repo)).isEqualTo(WRITERS);
    }

    /** An empty index needs no blob: its concurrent first pushes create the repository, once. */
    @Test
    void concurrentFirstPushesIntoANewRepositoryCreateItOnce() throws Exception {
        String repo = uniqueRepo("race-index");
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}";

        List<Integer> statuses = all(() -> putManifest(repo, "latest", MediaTypes.OCI_INDEX, index).statusCode());

        assertThat(statuses).containsOnly(201);
        assertThat(count("select count(*) from registry.repository where name = ?", repo)).isEqualTo(1);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'repository.created'",
                repo)).isEqualTo(1);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'tag.updated'",
                repo)).isEqualTo(1);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'manifest.pushed'",
                repo)).isEqualTo(WRITERS);
    }

    /**
     * The race made certain: another transaction inserts the repository and commits only once the mount's
     * statement waits for it. The statement's snapshot cannot see the row it conflicted with, so the mount
     * must run again to link the blob.
     */
    @Test
    void aMountThatLosesTheRepositoryRaceRunsAgain() throws Exception {
        String source = uniqueRepo("race-src");
        Digest config = configDigest(imageManifest(source));
        String target = uniqueRepo("race-mount");
        try (Connection other = PostgresTestResource.dataSource().getConnection()) {
            other.setAutoCommit(false);
            update(other, "insert into registry.repository (name) values (?)", target);
            CompletableFuture<Integer> mount = CompletableFuture.supplyAsync(() -> given()
                    .post("/v2/" + target + "/blobs/uploads/?mount=" + config + "&from=" + source).statusCode());
            awaitBlockedStatement();
            other.commit();
            assertThat(mount.get(60, TimeUnit.SECONDS)).isEqualTo(201);
        }
        given().head("/v2/" + target + "/blobs/" + config).then().statusCode(200);
    }

    /** The same for a push whose manifest another transaction stores first. */
    @Test
    void aPushThatLosesTheManifestRaceRunsAgain() throws Exception {
        String repo = uniqueRepo("race-push");
        String manifest = imageManifest(repo);
        try (Connection other = PostgresTestResource.dataSource().getConnection()) {
            other.setAutoCommit(false);
            try (PreparedStatement ps = other.prepareStatement("insert into registry.manifest (repository_id, digest, "
                    + "media_type, size, payload) select id, ?, ?, ?, ? from registry.repository where name = ?")) {
                byte[] bytes = manifest.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ps.setString(1, Digest.sha256Of(manifest).toString());
                ps.setString(2, MediaTypes.OCI_MANIFEST);
                ps.setLong(3, bytes.length);
                ps.setBytes(4, bytes);
                ps.setString(5, repo);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            CompletableFuture<Integer> push = CompletableFuture.supplyAsync(
                    () -> putManifest(repo, "latest", MediaTypes.OCI_MANIFEST, manifest).statusCode());
            awaitBlockedStatement();
            other.commit();
            assertThat(push.get(60, TimeUnit.SECONDS)).isEqualTo(201);
        }
        given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/latest").then().statusCode(200)
                .header("Docker-Content-Digest", Digest.sha256Of(manifest).toString());
    }

    /** Waits (bounded) until a registry statement waits for a row lock held by the test's transaction. */
    private static void awaitBlockedStatement() throws Exception {
        for (int i = 0; i < 300; i++) {
            if (count("select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like ?",
                    "with %") > 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the registry's statement never waited for the test's transaction");
    }

    private static void update(Connection c, String sql, String value) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, value);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    /** Runs the call from {@link #WRITERS} threads released at once; their results. */
    private static <T> List<T> all(Callable<T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Digest configDigest(String manifest) {
        Matcher m = Pattern.compile("\"config\":\\{[^}]*\"digest\":\"([^\"]+)\"").matcher(manifest);
        assertThat(m.find()).isTrue();
        return Digest.parse(m.group(1));
    }

    private static long count(String sql, String parameter) throws Exception {
        try (Connection c = PostgresTestResource.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, parameter);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
