package dev.berth.registry.outbox;

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
import org.junit.jupiter.api.Test;

/** Every state change leaves its event in the outbox; a refused change leaves none. */
@QuarkusTest
class OutboxTest {

    private static List<String> events(String repo) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = PostgresTestResource.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "select event_type, coalesce(tag, '') from registry.outbox where repository = ? order by sequence")) {
            ps.setString(1, repo);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + (rs.getString(2).isEmpty() ? "" : ":" + rs.getString(2)));
                }
            }
        }
        return out;
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

        assertThat(events(repo)).containsExactly("repository.created", "manifest.pushed", "tag.updated:v1",
                "tag.deleted:v1", "tag.updated:v3", "tag.deleted:v3", "manifest.deleted");
    }
}
