package dev.berth.registry.manifest;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static dev.berth.registry.support.Sweeper.awaitBlockedOrDone;
import static dev.berth.registry.support.Sweeper.count;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.media.MediaTypes;
import dev.berth.registry.support.Sweeper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A manifest push racing garbage collection of what it references, the collector following lock-then-recheck
 * ({@link Sweeper}): it locks the row, re-checks with a new snapshot and deletes, and commits only after the push
 * started. Either the push is refused ({@code MANIFEST_BLOB_UNKNOWN}) or what it references stays; never a stored
 * manifest whose blob link or child manifest is gone.
 */
@QuarkusTest
class PushDuringSweepTest {

    @Test
    void aPushRacingTheDeletionOfALinkIsRefusedOrKeepsIt() throws Exception {
        String repo = uniqueRepo("gc-push");
        String manifest = imageManifest(repo, randomBytes(512));
        String layer = layerDigest(manifest);
        Response push;
        try (Sweeper links = new Sweeper()) {
            // no manifest references the layer yet: the collector finds the link unused
            assertThat(links.deleteLink(repo, layer)).isTrue();
            CompletableFuture<Response> pushing = CompletableFuture.supplyAsync(
                    () -> putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, manifest));
            awaitBlockedOrDone(pushing);
            links.commit();
            push = pushing.get(60, TimeUnit.SECONDS);
        }
        // the collector locked first: the push waits for it, then no longer finds what it references
        assertThat(push.statusCode()).as(push.asString()).isEqualTo(400);
        assertConsistent(repo, manifest, push, layer,
                count("select count(*) from registry.repository_blob l join registry.repository r "
                        + "on r.id = l.repository_id where r.name = ? and l.digest = '" + layer + "'", repo) > 0);
    }

    @Test
    void aPushRacingTheDeletionOfAChildManifestIsRefusedOrKeepsIt() throws Exception {
        String repo = uniqueRepo("gc-index");
        String child = imageManifest(repo, randomBytes(256));
        String childDigest = Digest.sha256Of(child.getBytes(StandardCharsets.UTF_8)).toString();
        putManifest(repo, childDigest, MediaTypes.OCI_MANIFEST, child).then().statusCode(201);
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[{\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + childDigest + "\",\"size\":"
                + child.getBytes(StandardCharsets.UTF_8).length + "}]}";
        Response push;
        try (Sweeper untagged = new Sweeper()) {
            // untagged and listed by no index yet: the collector finds the child unused
            assertThat(untagged.deleteManifest(repo, childDigest)).isTrue();
            CompletableFuture<Response> pushing = CompletableFuture.supplyAsync(
                    () -> putManifest(repo, "v1", MediaTypes.OCI_INDEX, index));
            awaitBlockedOrDone(pushing);
            untagged.commit();
            push = pushing.get(60, TimeUnit.SECONDS);
        }
        // the collector locked first: the push waits for it, then no longer finds what it references
        assertThat(push.statusCode()).as(push.asString()).isEqualTo(400);
        assertConsistent(repo, index, push, childDigest,
                count("select count(*) from registry.manifest m join registry.repository r on r.id = m.repository_id "
                        + "where r.name = ? and m.digest = '" + childDigest + "'", repo) > 0);
    }

    private static void assertConsistent(String repo, String manifest, Response push, String referenced,
            boolean referencedStays) throws Exception {
        long stored = count("select count(*) from registry.manifest m join registry.repository r on r.id = m.repository_id "
                + "where r.name = ? and m.digest = '" + Digest.sha256Of(manifest.getBytes(StandardCharsets.UTF_8)) + "'", repo);
        if (push.statusCode() == 201) {
            assertThat(referencedStays).as("the push was accepted, so %s must still be in %s", referenced, repo).isTrue();
            assertThat(stored).isEqualTo(1);
        } else {
            assertOciError(push, 400, "MANIFEST_BLOB_UNKNOWN");
            assertThat(stored).as("a refused push stores nothing").isZero();
        }
    }

    private static String layerDigest(String manifest) {
        Matcher m = Pattern.compile("\"layers\":\\[\\{[^}]*\"digest\":\"([^\"]+)\"").matcher(manifest);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }
}
