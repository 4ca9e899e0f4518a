package dev.berth.registry.cache;

import static dev.berth.registry.support.RegistryTestSupport.imageManifest;
import static dev.berth.registry.support.RegistryTestSupport.putManifest;
import static dev.berth.registry.support.RegistryTestSupport.randomBytes;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.media.MediaTypes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.restassured.response.Response;

/** Pushes and reads through the API, and the cache's counters. */
final class CacheTestSupport {
    private CacheTestSupport() {
    }

    /** Pushes a fresh image manifest under {@code tag}; returns its body. */
    static String push(String repo, String tag) {
        String manifest = imageManifest(repo, randomBytes(300));
        Response put = putManifest(repo, tag, MediaTypes.OCI_MANIFEST, manifest);
        assertThat(put.statusCode()).as(put.asString()).isEqualTo(201);
        return manifest;
    }

    static String digestOf(String manifest) {
        return Digest.sha256Of(manifest).toString();
    }

    /** GET of a manifest: 200 and the body, or the status for anything else. */
    static Response get(String repo, String reference) {
        return given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/" + reference);
    }

    static void assertServes(String repo, String reference, String manifest) {
        Response response = get(repo, reference);
        assertThat(response.statusCode()).as("GET %s:%s %s", repo, reference, response.asString()).isEqualTo(200);
        assertThat(response.asString()).isEqualTo(manifest);
        assertThat(response.header("Docker-Content-Digest")).isEqualTo(digestOf(manifest));
    }

    static void assertUnknown(String repo, String reference) {
        Response response = get(repo, reference);
        assertThat(response.statusCode()).as("GET %s:%s %s", repo, reference, response.asString()).isEqualTo(404);
        assertThat(response.jsonPath().getString("errors[0].code")).isEqualTo("MANIFEST_UNKNOWN");
    }

    static void delete(String repo, String reference) {
        given().delete("/v2/" + repo + "/manifests/" + reference).then().statusCode(202);
    }

    /** The value of {@code berth.manifest.cache{entry, result}} (0 before the first count). */
    static double count(MeterRegistry meters, String entry, String result) {
        Counter counter = meters.find("berth.manifest.cache").tag("entry", entry).tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Both kinds of entry added up. */
    static double total(MeterRegistry meters, String result) {
        return count(meters, ManifestCache.ENTRY_TAG, result) + count(meters, ManifestCache.ENTRY_MANIFEST, result);
    }
}
