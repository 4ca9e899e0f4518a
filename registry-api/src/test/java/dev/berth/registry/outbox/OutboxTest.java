package dev.berth.registry.outbox;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.media.MediaTypes;
import dev.berth.devtools.testing.PostgresTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every state change leaves its events in the outbox, with their fields, in the order they happened; a refused
 * change leaves none. (The relay that positions and publishes them is tested on its own.)
 */
@QuarkusTest
class OutboxTest {

    /** One outbox row as the relay will read it. */
    record Row(int version, String type, String digest, String tag, String mediaType, String artifactType, Long size,
            List<String> platforms, String subject, String actor) {
        String label() {
            return type + (tag == null ? "" : ":" + tag);
        }
    }

    static List<Row> rows(String repo) throws Exception {
        List<Row> out = new ArrayList<>();
        try (Connection c = PostgresTestResource.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("select version, event_type, digest, tag, media_type, "
                        + "artifact_type, size, platforms, subject, actor from registry.outbox where repository = ? "
                        + "order by sequence")) {
            ps.setString(1, repo);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long size = rs.getLong(7);
                    Long sizeOrNull = rs.wasNull() ? null : size;
                    Array platforms = rs.getArray(8);
                    out.add(new Row(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), sizeOrNull,
                            platforms == null ? null : List.of((String[]) platforms.getArray()), rs.getString(9),
                            rs.getString(10)));
                }
            }
        }
        return out;
    }

    static List<String> events(String repo) throws Exception {
        return rows(repo).stream().map(Row::label).toList();
    }

    private static int bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void pushTagMoveAndDeletesAreRecordedInOrder() throws Exception {
        String repo = uniqueRepo("events");
        String manifest = imageManifest(repo, randomBytes(10));
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        // a refused push adds nothing
        putManifest(repo, "v2", MediaTypes.OCI_MANIFEST, "{}").then().statusCode(400);
        given().delete("/v2/" + repo + "/manifests/v1").then().statusCode(202);
        putManifest(repo, "v3", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        given().delete("/v2/" + repo + "/manifests/" + Digest.sha256Of(manifest)).then().statusCode(202);

        // the first upload created the repository; config and layer were uploaded before the manifest
        assertThat(events(repo)).containsExactly("repository.created", "blob.pushed", "blob.pushed", "manifest.pushed",
                "tag.updated:v1", "tag.deleted:v1", "manifest.pushed", "tag.updated:v3", "tag.deleted:v3",
                "manifest.deleted");
        assertThat(rows(repo)).allSatisfy(r -> {
            assertThat(r.version()).isEqualTo(1);
            assertThat(r.actor()).as("no authentication, no actor").isNull();
        });
    }

    @Test
    void manifestAndTagEventsCarryTheManifest() throws Exception {
        String repo = uniqueRepo("events");
        String manifest = imageManifest(repo, randomBytes(10));
        String digest = Digest.sha256Of(manifest).toString();
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);

        List<Row> rows = rows(repo);
        Row pushed = rows.get(3);
        assertThat(pushed).isEqualTo(new Row(1, "manifest.pushed", digest, null, MediaTypes.OCI_MANIFEST,
                "application/vnd.oci.image.config.v1+json", (long) bytes(manifest), null, null, null));
        assertThat(rows.get(4)).isEqualTo(new Row(1, "tag.updated", digest, "v1", MediaTypes.OCI_MANIFEST,
                "application/vnd.oci.image.config.v1+json", (long) bytes(manifest), null, null, null));
    }

    @Test
    void aTagEventOnlyWhenTheTagIsCreatedOrMoved() throws Exception {
        String repo = uniqueRepo("events");
        String first = imageManifest(repo, randomBytes(10));
        String second = imageManifest(repo, randomBytes(10));
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, first).then().statusCode(201);
        int before = rows(repo).size();

        // the same manifest under the same tag again: a push, but the tag did not change
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, first).then().statusCode(201);
        // by digest: no tag at all
        putManifest(repo, Digest.sha256Of(second).toString(), MediaTypes.OCI_MANIFEST, second).then().statusCode(201);
        // the tag moves
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, second).then().statusCode(201);

        List<Row> after = rows(repo).subList(before, rows(repo).size());
        assertThat(after).extracting(Row::label).containsExactly("manifest.pushed", "manifest.pushed",
                "manifest.pushed", "tag.updated:v1");
        assertThat(after.get(0).digest()).isEqualTo(Digest.sha256Of(first).toString());
        assertThat(after.get(3).digest()).isEqualTo(Digest.sha256Of(second).toString());
    }

    @Test
    void anIndexNamesItsPlatformsAndAReferrerItsSubjectAndArtifactType() throws Exception {
        String repo = uniqueRepo("events");
        String amd = imageManifest(repo, randomBytes(10));
        String arm = imageManifest(repo, randomBytes(10));
        putManifest(repo, Digest.sha256Of(amd).toString(), MediaTypes.OCI_MANIFEST, amd).then().statusCode(201);
        putManifest(repo, Digest.sha256Of(arm).toString(), MediaTypes.OCI_MANIFEST, arm).then().statusCode(201);
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + child(amd, "{\"os\":\"linux\",\"architecture\":\"amd64\"}") + ","
                + child(arm, "{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}") + "]}";
        putManifest(repo, "multi", MediaTypes.OCI_INDEX, index).then().statusCode(201);
        String indexDigest = Digest.sha256Of(index).toString();

        byte[] sbom = randomBytes(20);
        Digest sbomDigest = pushBlob(repo, sbom);
        Digest empty = pushBlob(repo, "{}".getBytes(StandardCharsets.UTF_8));
        String referrer = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"artifactType\":\"application/spdx+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + empty + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"application/spdx+json\",\"digest\":\"" + sbomDigest + "\",\"size\":"
                + sbom.length + "}],"
                + "\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"digest\":\"" + indexDigest + "\",\"size\":"
                + bytes(index) + "}}";
        putManifest(repo, Digest.sha256Of(referrer).toString(), MediaTypes.OCI_MANIFEST, referrer).then().statusCode(201);

        List<Row> rows = rows(repo);
        Row tagged = rows.stream().filter(r -> r.label().equals("tag.updated:multi")).findFirst().orElseThrow();
        assertThat(tagged.digest()).isEqualTo(indexDigest);
        assertThat(tagged.mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(tagged.platforms()).containsExactly("linux/amd64", "linux/arm64/v8");
        Row indexPushed = rows.stream().filter(r -> r.type().equals("manifest.pushed") && indexDigest.equals(r.digest()))
                .findFirst().orElseThrow();
        assertThat(indexPushed.platforms()).containsExactly("linux/amd64", "linux/arm64/v8");
        assertThat(indexPushed.size()).isEqualTo(bytes(index));
        Row last = rows.get(rows.size() - 1);
        assertThat(last).isEqualTo(new Row(1, "manifest.pushed", Digest.sha256Of(referrer).toString(), null,
                MediaTypes.OCI_MANIFEST, "application/spdx+json", (long) bytes(referrer), null, indexDigest, null));
    }

    private static String child(String manifest, String platform) {
        return "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + Digest.sha256Of(manifest)
                + "\",\"size\":" + bytes(manifest) + ",\"platform\":" + platform + "}";
    }

    @Test
    void refusedChangesWriteNoEvent() throws Exception {
        String repo = uniqueRepo("events");
        String manifest = imageManifest(repo, randomBytes(10));
        List<Row> before = rows(repo);

        // not a manifest; a blob it names is missing; the digest in the URL is not the manifest's
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, "{\"schemaVersion\":2}").then().statusCode(400);
        String missing = manifest.replaceFirst("sha256:[0-9a-f]{64}\",\"size\":10", Digest.sha256Of(randomBytes(10))
                + "\",\"size\":10");
        assertThat(missing).isNotEqualTo(manifest);
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, missing).then().statusCode(400);
        putManifest(repo, Digest.sha256Of("other").toString(), MediaTypes.OCI_MANIFEST, manifest).then().statusCode(400);
        // an upload whose digest does not match, a delete of what is not there
        byte[] content = randomBytes(30);
        given().contentType("application/octet-stream").body(content)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + Digest.sha256Of(randomBytes(30))).then().statusCode(400);
        given().delete("/v2/" + repo + "/blobs/" + Digest.sha256Of(content)).then().statusCode(404);
        given().delete("/v2/" + repo + "/manifests/nope").then().statusCode(404);
        given().delete("/v2/" + repo + "/manifests/" + Digest.sha256Of(manifest)).then().statusCode(404);
        // into a repository that does not exist: nothing is created
        String absent = uniqueRepo("events");
        putManifest(absent, "v1", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(400);
        given().delete("/api/v1/repositories/" + absent).then().statusCode(404);

        assertThat(rows(repo)).isEqualTo(before);
        assertThat(rows(absent)).isEmpty();
    }

    @Test
    void uploadsMountsAndBlobDeletesAreRecordedWithDigestAndSize() throws Exception {
        String source = uniqueRepo("events");
        byte[] content = randomBytes(123);
        Digest digest = pushBlob(source, content);
        // uploaded again into a repository that has it: still a completed upload
        pushBlob(source, content);
        Row pushed = new Row(1, "blob.pushed", digest.toString(), null, null, null, 123L, null, null, null);
        assertThat(rows(source)).containsExactly(
                new Row(1, "repository.created", null, null, null, null, null, null, null, null), pushed, pushed);

        // a cross-repository mount into a new repository, then again (nothing new)
        String target = uniqueRepo("events");
        given().post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source).then().statusCode(201);
        given().post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + source).then().statusCode(201);
        assertThat(events(target)).containsExactly("repository.created", "blob.pushed");
        assertThat(rows(target).get(1)).isEqualTo(pushed);

        // an automatic mount (no source named)
        String automatic = uniqueRepo("events");
        given().post("/v2/" + automatic + "/blobs/uploads/?mount=" + digest).then().statusCode(201);
        assertThat(rows(automatic)).extracting(Row::label).containsExactly("repository.created", "blob.pushed");

        // a mount of nothing starts an upload: the repository is created, no blob is pushed
        String nothing = uniqueRepo("events");
        given().post("/v2/" + nothing + "/blobs/uploads/?mount=" + Digest.sha256Of(randomBytes(5)) + "&from=" + source)
                .then().statusCode(202);
        assertThat(events(nothing)).containsExactly("repository.created");

        given().delete("/v2/" + target + "/blobs/" + digest).then().statusCode(202);
        assertThat(rows(target).get(2))
                .isEqualTo(new Row(1, "blob.deleted", digest.toString(), null, null, null, 123L, null, null, null));
        assertThat(rows(target)).hasSize(3);
    }

    @Test
    void deletingARepositoryRecordsOneEventAndForgetsItsManifests() throws Exception {
        String repo = uniqueRepo("events");
        String manifest = imageManifest(repo, randomBytes(10));
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        // read once, so that the manifest cache holds the tag and the manifest
        given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/v1").then().statusCode(200);
        given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/" + Digest.sha256Of(manifest))
                .then().statusCode(200);
        String upload = given().post("/v2/" + repo + "/blobs/uploads/").then().statusCode(202).extract()
                .header("Location");
        int before = rows(repo).size();

        given().delete("/api/v1/repositories/" + repo).then().statusCode(204);

        assertThat(rows(repo).subList(before, rows(repo).size())).containsExactly(
                new Row(1, "repository.deleted", null, null, null, null, null, null, null, null));
        assertOciError(given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/v1"), 404, "NAME_UNKNOWN");
        assertOciError(given().accept(MediaTypes.OCI_MANIFEST).get("/v2/" + repo + "/manifests/" + Digest.sha256Of(manifest)),
                404, "NAME_UNKNOWN");
        assertOciError(given().get("/v2/" + repo + "/tags/list"), 404, "NAME_UNKNOWN");
        given().get(upload).then().statusCode(404);
        given().delete("/api/v1/repositories/" + repo).then().statusCode(404);

        // pushed again, it is a new repository
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, imageManifest(repo, randomBytes(10))).then().statusCode(201);
        assertThat(events(repo).subList(before + 1, events(repo).size())).containsExactly("repository.created",
                "blob.pushed", "blob.pushed", "manifest.pushed", "tag.updated:v1");
    }
}
