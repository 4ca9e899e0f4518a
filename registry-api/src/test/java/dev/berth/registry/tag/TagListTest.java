package dev.berth.registry.tag;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.media.MediaTypes;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class TagListTest {

    @Test
    void sortedAndPaginatedWithLinkHeader() {
        String repo = uniqueRepo("tags");
        String manifest = imageManifest(repo, randomBytes(10));
        for (String tag : List.of("v10", "V2", "a", "b", "latest", "_x")) {
            putManifest(repo, tag, MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
        }
        Response all = given().get("/v2/" + repo + "/tags/list");
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(all.jsonPath().getString("name")).isEqualTo(repo);
        assertThat(all.jsonPath().getList("tags")).containsExactly("V2", "_x", "a", "b", "latest", "v10");
        assertThat(all.header("Link")).isNull();

        Response page1 = given().get("/v2/" + repo + "/tags/list?n=2");
        assertThat(page1.jsonPath().getList("tags")).containsExactly("V2", "_x");
        assertThat(page1.header("Link")).isEqualTo("</v2/" + repo + "/tags/list?n=2&last=_x>; rel=\"next\"");
        Response page2 = given().get("/v2/" + repo + "/tags/list?n=2&last=_x");
        assertThat(page2.jsonPath().getList("tags")).containsExactly("a", "b");
        Response page3 = given().get("/v2/" + repo + "/tags/list?n=2&last=b");
        assertThat(page3.jsonPath().getList("tags")).containsExactly("latest", "v10");
        assertThat(page3.header("Link")).isNull();
        assertThat(given().get("/v2/" + repo + "/tags/list?n=0").jsonPath().getList("tags")).isEmpty();
        assertThat(given().get("/v2/" + repo + "/tags/list?last=latest").jsonPath().getList("tags")).containsExactly("v10");
    }

    @Test
    void unknownRepositoryAndBadPageSize() {
        assertOciError(given().get("/v2/" + uniqueRepo("none") + "/tags/list"), 404, "NAME_UNKNOWN");
        String repo = uniqueRepo("tags");
        putManifest(repo, "t", MediaTypes.OCI_MANIFEST, imageManifest(repo, randomBytes(10))).then().statusCode(201);
        assertOciError(given().get("/v2/" + repo + "/tags/list?n=-1"), 400, "PAGINATION_NUMBER_INVALID");
        assertOciError(given().get("/v2/" + repo + "/tags/list?n=abc"), 400, "PAGINATION_NUMBER_INVALID");
    }

    @Test
    void catalogListsRepositories() {
        String repo = uniqueRepo("cat");
        putManifest(repo, "t", MediaTypes.OCI_MANIFEST, imageManifest(repo, randomBytes(10))).then().statusCode(201);
        assertThat(given().get("/v2/_catalog?n=100000").jsonPath().getList("repositories")).contains(repo);
        Response one = given().get("/v2/_catalog?n=1");
        assertThat(one.jsonPath().getList("repositories")).hasSize(1);
        assertThat(one.header("Link")).startsWith("</v2/_catalog?n=1&last=");
    }
}
