package dev.berth.registry.referrer;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.media.MediaTypes;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ReferrerEndpointTest {
    private static final String EMPTY = "{}";

    private static String artifact(String repo, String artifactType, Digest subject, long subjectSize, String note) {
        Digest empty = pushBlob(repo, EMPTY.getBytes());
        Digest payload = pushBlob(repo, note.getBytes());
        return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\"" + artifactType
                + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_EMPTY + "\",\"digest\":\"" + empty + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"text/plain\",\"digest\":\"" + payload + "\",\"size\":" + note.length() + "}],"
                + "\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + subject + "\",\"size\":"
                + subjectSize + "},\"annotations\":{\"org.example.note\":\"" + note + "\"}}";
    }

    @Test
    void referrersAreListedAndFilterable() {
        String repo = uniqueRepo("ref");
        String image = imageManifest(repo, randomBytes(10));
        Digest imageDigest = Digest.sha256Of(image);
        putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, image).then().statusCode(201);

        String sbom = artifact(repo, "application/vnd.example.sbom", imageDigest, image.length(), "sbom");
        Response put = putManifest(repo, Digest.sha256Of(sbom).toString(), MediaTypes.OCI_MANIFEST, sbom);
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(put.header("OCI-Subject")).isEqualTo(imageDigest.toString());
        String sig = artifact(repo, "application/vnd.example.signature", imageDigest, image.length(), "sig");
        putManifest(repo, Digest.sha256Of(sig).toString(), MediaTypes.OCI_MANIFEST, sig).then().statusCode(201);

        Response all = given().get("/v2/" + repo + "/referrers/" + imageDigest);
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(all.contentType()).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(all.jsonPath().getInt("schemaVersion")).isEqualTo(2);
        assertThat(all.jsonPath().getList("manifests.digest"))
                .containsExactlyInAnyOrder(Digest.sha256Of(sbom).toString(), Digest.sha256Of(sig).toString());
        assertThat(all.jsonPath().getList("manifests.artifactType"))
                .containsExactlyInAnyOrder("application/vnd.example.sbom", "application/vnd.example.signature");
        assertThat(all.jsonPath().getString("manifests.find { it.artifactType == 'application/vnd.example.sbom' }"
                + ".annotations.'org.example.note'")).isEqualTo("sbom");
        assertThat(all.header("OCI-Filters-Applied")).isNull();

        Response filtered = given().get("/v2/" + repo + "/referrers/" + imageDigest + "?artifactType=application/vnd.example.sbom");
        assertThat(filtered.header("OCI-Filters-Applied")).isEqualTo("artifactType");
        assertThat(filtered.jsonPath().getList("manifests.digest")).containsExactly(Digest.sha256Of(sbom).toString());
    }

    @Test
    void subjectMayBeMissingAndNoReferrersIsAnEmptyIndex() {
        String repo = uniqueRepo("ref");
        Digest absent = Digest.sha256Of("not pushed");
        String sig = artifact(repo, "application/vnd.example.signature", absent, 123, "early");
        putManifest(repo, Digest.sha256Of(sig).toString(), MediaTypes.OCI_MANIFEST, sig).then().statusCode(201)
                .header("OCI-Subject", absent.toString());
        assertThat(given().get("/v2/" + repo + "/referrers/" + absent).jsonPath().getList("manifests")).hasSize(1);
        Response none = given().get("/v2/" + repo + "/referrers/" + Digest.sha256Of("nothing refers"));
        assertThat(none.statusCode()).isEqualTo(200);
        assertThat(none.jsonPath().getList("manifests")).isEmpty();
        assertOciError(given().get("/v2/" + repo + "/referrers/sha256:nope"), 400, "DIGEST_INVALID");
    }
}
