package dev.berth.registry.manifest;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.digest.DigestAlgorithm;
import dev.berth.core.media.MediaTypes;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ManifestEndpointTest {

    @Test
    void pushByTagThenGetByTagAndDigestByteForByte() {
        String repo = uniqueRepo("man");
        String manifest = imageManifest(repo, randomBytes(1000), randomBytes(2000));
        Digest digest = Digest.sha256Of(manifest);
        Response put = putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, manifest);
        assertThat(put.statusCode()).as(put.asString()).isEqualTo(201);
        assertThat(put.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        assertThat(put.header("Location")).isEqualTo("/v2/" + repo + "/manifests/" + digest);
        assertThat(put.header("OCI-Subject")).isNull();

        for (String ref : new String[] {"v1", digest.toString()}) {
            Response get = given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/" + ref);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.contentType()).isEqualTo(MediaTypes.OCI_MANIFEST);
            assertThat(get.header("Docker-Content-Digest")).isEqualTo(digest.toString());
            assertThat(get.asString()).isEqualTo(manifest);
            Response head = given().head("/v2/" + repo + "/manifests/" + ref);
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(manifest.length()));
            assertThat(head.header("Docker-Content-Digest")).isEqualTo(digest.toString());
        }
    }

    @Test
    void dockerSchema2ManifestAndManifestList() {
        String repo = uniqueRepo("docker");
        byte[] layer = randomBytes(500);
        byte[] config = "{\"architecture\":\"arm64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        Digest layerDigest = pushBlob(repo, layer);
        Digest configDigest = pushBlob(repo, config);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":{"
                + "\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":" + config.length
                + ",\"digest\":\"" + configDigest + "\"},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":500,\"digest\":\"" + layerDigest + "\"}]}";
        putManifest(repo, "arm", MediaTypes.DOCKER_MANIFEST, manifest).then().statusCode(201);
        Digest child = Digest.sha256Of(manifest);
        String list = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST_LIST + "\",\"manifests\":[{"
                + "\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"size\":" + manifest.length() + ",\"digest\":\""
                + child + "\",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}";
        putManifest(repo, "latest", MediaTypes.DOCKER_MANIFEST_LIST, list).then().statusCode(201);
        Response get = given().accept(MediaTypes.DOCKER_MANIFEST_LIST + ", " + MediaTypes.DOCKER_MANIFEST)
                .get("/v2/" + repo + "/manifests/latest");
        assertThat(get.contentType()).isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
        assertThat(get.asString()).isEqualTo(list);
        // a client that only reads single manifests is not handed a list
        assertOciError(given().accept(MediaTypes.DOCKER_MANIFEST).get("/v2/" + repo + "/manifests/latest"), 404,
                "MANIFEST_UNKNOWN");
    }

    @Test
    void indexNeedsItsChildManifestsInTheRepository() {
        String repo = uniqueRepo("idx");
        Digest missing = Digest.sha256Of("no such manifest");
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[{"
                + "\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"size\":10,\"digest\":\"" + missing + "\"}]}";
        Response r = putManifest(repo, "multi", MediaTypes.OCI_INDEX, index);
        assertOciError(r, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(r.jsonPath().getString("errors[0].detail.digest")).isEqualTo(missing.toString());
    }

    @Test
    void missingOrUnlinkedBlobsAreRefusedAndNothingIsStored() {
        String repo = uniqueRepo("miss");
        String other = uniqueRepo("miss");
        String good = imageManifest(repo, randomBytes(100));
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, good).then().statusCode(201);

        // a layer that exists only in another repository
        byte[] foreignLayer = randomBytes(300);
        Digest foreign = pushBlob(other, foreignLayer);
        String bad = good.replaceFirst("\"layers\":\\[\\{", "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
                + foreign + "\",\"size\":300},{");
        Response r = putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, bad);
        assertOciError(r, 400, "MANIFEST_BLOB_UNKNOWN");
        assertOciError(given().get("/v2/" + repo + "/manifests/" + Digest.sha256Of(bad)), 404, "MANIFEST_UNKNOWN");
        // the tag still points at the earlier manifest
        assertThat(given().get("/v2/" + repo + "/manifests/v1").asString()).isEqualTo(good);
    }

    @Test
    void nonDistributableLayersNeedNotBePresent() {
        String repo = uniqueRepo("foreign");
        String base = imageManifest(repo, randomBytes(10));
        String withForeign = base.replaceFirst("\"layers\":\\[", "\"layers\":[{\"mediaType\":\""
                + "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\",\"digest\":\"" + Digest.sha256Of("w")
                + "\",\"size\":12345,\"urls\":[\"https://example.invalid/layer\"]},");
        putManifest(repo, "win", MediaTypes.OCI_MANIFEST, withForeign).then().statusCode(201);
    }

    @Test
    void invalidManifestsAreRefusedWithClearMessages() {
        String repo = uniqueRepo("inv");
        String good = imageManifest(repo, randomBytes(10));
        assertOciError(putManifest(repo, "a", MediaTypes.OCI_MANIFEST, "{not json"), 400, "MANIFEST_INVALID");
        assertOciError(putManifest(repo, "a", MediaTypes.OCI_MANIFEST, "[1,2]"), 400, "MANIFEST_INVALID");
        Response schema1 = putManifest(repo, "a", MediaTypes.DOCKER_SCHEMA1_SIGNED,
                "{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"a\",\"fsLayers\":[]}");
        assertOciError(schema1, 400, "MANIFEST_INVALID");
        assertThat(schema1.jsonPath().getString("errors[0].message")).contains("schema 1");
        // Content-Type says index, body says manifest
        String typed = good.replace("{\"schemaVersion\":2,", "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",");
        assertOciError(putManifest(repo, "a", MediaTypes.OCI_INDEX, typed), 400, "MANIFEST_INVALID");
        // manifest and index at once
        String both = good.replace("\"layers\":", "\"manifests\":[],\"layers\":");
        assertOciError(putManifest(repo, "a", MediaTypes.OCI_MANIFEST, both), 400, "MANIFEST_INVALID");
        // a descriptor with a bad digest
        assertOciError(putManifest(repo, "a", MediaTypes.OCI_MANIFEST, good.replaceFirst("sha256:[0-9a-f]{64}", "sha256:1234")),
                400, "MANIFEST_INVALID");
        // an invalid tag
        assertOciError(putManifest(repo, "-bad", MediaTypes.OCI_MANIFEST, good), 400, "TAG_INVALID");
        assertOciError(putManifest(repo, "a".repeat(129), MediaTypes.OCI_MANIFEST, good), 400, "TAG_INVALID");
        // a malformed digest as the reference
        assertOciError(putManifest(repo, "sha256:1234", MediaTypes.OCI_MANIFEST, good), 400, "DIGEST_INVALID");
        assertOciError(given().get("/v2/" + repo + "/manifests/a"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void oversizedManifestIs413() {
        String repo = uniqueRepo("big");
        String good = imageManifest(repo, randomBytes(10));
        String padded = good.replace("{\"schemaVersion\":2,", "{\"schemaVersion\":2,\"annotations\":{\"pad\":\""
                + "x".repeat(4 * 1024 * 1024) + "\"},");
        assertOciError(putManifest(repo, "big", MediaTypes.OCI_MANIFEST, padded), 413, "MANIFEST_INVALID");
        assertOciError(given().get("/v2/" + repo + "/manifests/big"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void pushByDigestIsVerified() {
        String repo = uniqueRepo("bydigest");
        String manifest = imageManifest(repo, randomBytes(10));
        Digest digest = Digest.sha256Of(manifest);
        assertOciError(putManifest(repo, Digest.sha256Of("other").toString(), MediaTypes.OCI_MANIFEST, manifest), 400,
                "DIGEST_INVALID");
        putManifest(repo, digest.toString(), MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        Digest sha512 = Digest.compute(DigestAlgorithm.SHA512, manifest.getBytes(StandardCharsets.UTF_8));
        putManifest(repo, sha512.toString(), MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201)
                .header("Docker-Content-Digest", sha512.toString());
        assertThat(given().get("/v2/" + repo + "/manifests/" + sha512).asString()).isEqualTo(manifest);
    }

    @Test
    void tagMovesToTheLastPush() {
        String repo = uniqueRepo("move");
        String first = imageManifest(repo, randomBytes(10));
        String second = imageManifest(repo, randomBytes(10));
        putManifest(repo, "latest", MediaTypes.OCI_MANIFEST, first).then().statusCode(201);
        putManifest(repo, "latest", MediaTypes.OCI_MANIFEST, second).then().statusCode(201);
        assertThat(given().get("/v2/" + repo + "/manifests/latest").asString()).isEqualTo(second);
        assertThat(given().get("/v2/" + repo + "/manifests/" + Digest.sha256Of(first)).asString()).isEqualTo(first);
    }

    @Test
    void deleteByTagRemovesOnlyTheTag() {
        String repo = uniqueRepo("deltag");
        String manifest = imageManifest(repo, randomBytes(10));
        Digest digest = Digest.sha256Of(manifest);
        putManifest(repo, "a", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        putManifest(repo, "b", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        given().delete("/v2/" + repo + "/manifests/a").then().statusCode(202);
        assertOciError(given().get("/v2/" + repo + "/manifests/a"), 404, "MANIFEST_UNKNOWN");
        assertThat(given().get("/v2/" + repo + "/manifests/b").statusCode()).isEqualTo(200);
        assertThat(given().get("/v2/" + repo + "/manifests/" + digest).statusCode()).isEqualTo(200);
        assertOciError(given().delete("/v2/" + repo + "/manifests/a"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void deleteByDigestRemovesManifestAndItsTags() {
        String repo = uniqueRepo("deldigest");
        String manifest = imageManifest(repo, randomBytes(10));
        Digest digest = Digest.sha256Of(manifest);
        putManifest(repo, "a", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        given().delete("/v2/" + repo + "/manifests/" + digest).then().statusCode(202);
        assertOciError(given().get("/v2/" + repo + "/manifests/" + digest), 404, "MANIFEST_UNKNOWN");
        assertOciError(given().get("/v2/" + repo + "/manifests/a"), 404, "MANIFEST_UNKNOWN");
        assertThat(given().get("/v2/" + repo + "/tags/list").jsonPath().getList("tags")).isEmpty();
        assertOciError(given().delete("/v2/" + repo + "/manifests/" + digest), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void unknownRepositoryAndManifest() {
        assertOciError(given().get("/v2/" + uniqueRepo("none") + "/manifests/latest"), 404, "NAME_UNKNOWN");
        String repo = uniqueRepo("some");
        putManifest(repo, "x", MediaTypes.OCI_MANIFEST, imageManifest(repo, randomBytes(5))).then().statusCode(201);
        assertOciError(given().get("/v2/" + repo + "/manifests/nope"), 404, "MANIFEST_UNKNOWN");
        assertOciError(given().get("/v2/" + repo + "/manifests/" + Digest.sha256Of("q")), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void aReferenceThatIsNeitherATagNorADigestIsAnUnknownManifest() {
        String repo = uniqueRepo("conformance");
        putManifest(repo, "a", MediaTypes.OCI_MANIFEST, imageManifest(repo, randomBytes(10))).then().statusCode(201);
        // an existing repository: the reference decides
        for (String reference : List.of("-bad", "a".repeat(129), "sha256:1234", "nope:x", ".hidden")) {
            assertOciError(given().get("/v2/" + repo + "/manifests/" + reference), 404, "MANIFEST_UNKNOWN");
            Response head = given().head("/v2/" + repo + "/manifests/" + reference);
            assertThat(head.statusCode()).as(reference).isEqualTo(404);
        }
    }
}
