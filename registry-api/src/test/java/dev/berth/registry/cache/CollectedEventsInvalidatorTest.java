package dev.berth.registry.cache;

import static dev.berth.registry.cache.CacheTestSupport.*;
import static dev.berth.registry.support.RegistryTestSupport.uniqueRepo;
import static io.restassured.RestAssured.given;

import dev.berth.core.media.MediaTypes;
import dev.berth.devtools.testing.PostgresTestResource;
import dev.berth.registry.outbox.OutboxRelay;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import org.junit.jupiter.api.Test;

/**
 * gc-worker deletes tags and manifests in PostgreSQL, past the registry's requests, and writes their events with actor
 * {@code gc-worker}: the manifest cache forgets them once the relay publishes the events. Without that, the cached
 * tag would be served for its lifespan (60 s).
 */
@QuarkusTest
class CollectedEventsInvalidatorTest {

    @Inject
    OutboxRelay relay;

    @Test
    void aTagAndManifestCollectedByGcAreForgotten() throws Exception {
        String repo = uniqueRepo("cache-gc");
        String manifest = push(repo, "old");
        String digest = digestOf(manifest);
        assertServes(repo, "old", manifest);
        assertServes(repo, "old", manifest);
        assertServes(repo, digest, manifest);

        // retention, as gc-worker does it: the tag, then the manifest it left untagged, with their events
        try (Connection c = PostgresTestResource.dataSource().getConnection()) {
            c.setAutoCommit(false);
            execute(c, "delete from registry.tag t using registry.repository r where r.id = t.repository_id "
                    + "and r.name = ? and t.name = 'old'", repo);
            execute(c, "delete from registry.manifest m using registry.repository r where r.id = m.repository_id "
                    + "and r.name = ? and m.digest = '" + digest + "'", repo);
            execute(c, "insert into registry.outbox (event_type, repository, digest, tag, media_type, actor) values "
                    + "('tag.deleted', ?, '" + digest + "', 'old', '" + MediaTypes.OCI_MANIFEST + "', 'gc-worker'), "
                    + "('manifest.deleted', ?, '" + digest + "', null, '" + MediaTypes.OCI_MANIFEST + "', 'gc-worker')",
                    repo, repo);
            c.commit();
        }
        // the cache still holds both (no request of this registry deleted them) until the events arrive; not asserted:
        // the relay's own poll may publish them at any moment
        relay.wake();

        awaitUnknown(repo, "old");
        awaitUnknown(repo, digest);
    }

    /** Polls (bounded, well below the tag lifespan of 60 s) until the reference is unknown. */
    private static void awaitUnknown(String repo, String reference) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        int status;
        do {
            status = given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/" + reference).statusCode();
            if (status == 404) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(reference + " of " + repo + " is still served (" + status + ") after gc-worker's events");
    }

    private static void execute(Connection c, String sql, String... params) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            ps.executeUpdate();
        }
    }
}
