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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Mounts and pushes are single statements that create what is missing ({@code insert ... on conflict do
 * nothing}); when they race, each must still succeed, and the repository, the manifest and their events
 * must exist once.
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
        given().head("/v2/" + target + "/blobs/" + config).then().statusCode(200);
    }

    @Test
    void concurrentPushesOfOneManifestStoreItOnce() throws Exception {
        String repo = uniqueRepo("race-push");
        String manifest = imageManifest(repo);

        List<Integer> statuses = all(() -> putManifest(repo, "latest", MediaTypes.OCI_MANIFEST, manifest).statusCode());

        assertThat(statuses).containsOnly(201);
        assertThat(count("select count(*) from registry.outbox where repository = ? and event_type = 'manifest.pushed'",
                repo)).isEqualTo(1);
        assertThat(count("select count(*) from registry.manifest_reference r join registry.manifest m "
                + "on m.id = r.manifest_id join registry.repository p on p.id = m.repository_id where p.name = ?", repo))
                .as("the config, referenced once").isEqualTo(1);
        given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/latest").then().statusCode(200)
                .header("Docker-Content-Digest", Digest.sha256Of(manifest).toString());
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

    private static long count(String sql, String repository) throws Exception {
        try (Connection c = PostgresTestResource.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, repository);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
