package dev.berth.catalog.repository;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import dev.berth.catalog.events.EventConsumer;
import dev.berth.catalog.support.CatalogDatabase;
import dev.berth.catalog.support.Registry;
import dev.berth.catalog.support.Registry.Blob;
import dev.berth.catalog.support.Registry.Manifest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST API over a read model fed by events, with authentication off (everyone sees everything). */
@QuarkusTest
@QuarkusTestResource(value = CatalogDatabase.class, restrictToAnnotatedClass = false)
class CatalogApiTest {
    @Inject
    Vertx vertx;
    @Inject
    EventConsumer consumer;

    Registry registry;
    MessageConsumer<?> blobReads;

    @BeforeEach
    void setUp() {
        registry = new Registry(vertx);
        registry.reset();
        consumer.wake();
        blobReads = registry.answerBlobReads();
    }

    @AfterEach
    void tearDown() {
        blobReads.unregister();
    }

    @Test
    void repositoriesArePagedSortedAndSearched() {
        Blob shared = Registry.layer("shared layer");
        registry.push("team-a/api", image("a1", shared, Registry.layer("api layer 123456")), "1.0", "alice");
        registry.push("team-a/web", image("w1", shared), "1.0", "alice");
        registry.push("team-b/api-gateway", image("g1", Registry.layer("gw")), "2.0", "bob");
        registry.push("library/nginx", image("n1", Registry.layer("nginx layer, the biggest of them all by far")), "latest", "admin");
        registry.awaitApplied(registry.position());

        given().get("/api/v1/repositories").then().statusCode(200)
                .body("items.name", contains("library/nginx", "team-a/api", "team-a/web", "team-b/api-gateway"))
                .body("page", equalTo(1)).body("size", equalTo(50)).body("total", equalTo(4))
                .body("items[1].tagCount", equalTo(1));

        given().queryParam("size", 2).queryParam("page", 2).get("/api/v1/repositories").then().statusCode(200)
                .body("items.name", contains("team-a/web", "team-b/api-gateway")).body("total", equalTo(4));
        given().queryParam("size", 2).queryParam("page", 3).get("/api/v1/repositories").then().statusCode(200)
                .body("items", hasSize(0)).body("total", equalTo(4));
        given().queryParam("sort", "-size").get("/api/v1/repositories").then().statusCode(200)
                .body("items[0].name", equalTo("library/nginx"));
        given().queryParam("sort", "-lastPush").get("/api/v1/repositories").then().statusCode(200)
                .body("items[0].name", equalTo("library/nginx"));
        given().queryParam("sort", "lastPush").get("/api/v1/repositories").then().statusCode(200)
                .body("items[0].name", equalTo("team-a/api"));

        // substring (trigram) and prefix search, case-insensitive; LIKE wildcards are literal
        given().queryParam("q", "API").get("/api/v1/repositories").then().statusCode(200)
                .body("items.name", contains("team-a/api", "team-b/api-gateway")).body("total", equalTo(2));
        given().queryParam("q", "team-").get("/api/v1/repositories").then().statusCode(200).body("total", equalTo(3));
        given().queryParam("q", "team%").get("/api/v1/repositories").then().statusCode(200).body("total", equalTo(0));
        given().queryParam("q", "_").get("/api/v1/repositories").then().statusCode(200).body("total", equalTo(0));
    }

    @Test
    void pageSizeAndSortAreChecked() {
        given().queryParam("size", 501).get("/api/v1/repositories").then().statusCode(400)
                .body("errors[0].code", equalTo("PAGINATION_NUMBER_INVALID"));
        given().queryParam("size", 500).get("/api/v1/repositories").then().statusCode(200);
        given().queryParam("size", 0).get("/api/v1/repositories").then().statusCode(400);
        given().queryParam("page", 0).get("/api/v1/repositories").then().statusCode(400);
        given().queryParam("page", "x").get("/api/v1/repositories").then().statusCode(400)
                .body("errors[0].code", equalTo("PAGINATION_NUMBER_INVALID"));
        given().queryParam("sort", "created").get("/api/v1/repositories").then().statusCode(400)
                .body("errors[0].code", equalTo("UNSUPPORTED"));
        given().queryParam("q", "x".repeat(129)).get("/api/v1/repositories").then().statusCode(400);
        given().get("/api/v1/repositories/nope/nothing").then().statusCode(404).body("errors[0].code", equalTo("NAME_UNKNOWN"));
        given().get("/api/v1/repositories/nope/nothing/tags").then().statusCode(404);
        given().get("/api/v1/search").then().statusCode(400);
    }

    @Test
    void repositorySizeCountsEachBlobOnce() {
        Blob shared = Registry.layer("0123456789");
        Blob own = Registry.layer("abc");
        Manifest first = image("c1", shared);
        Manifest second = image("c2", shared, own);
        registry.push("sizes/app", first, "one", "alice");
        registry.push("sizes/app", second, "two", "alice");
        registry.awaitApplied(registry.position());

        long configs = first.blobs().get(0).size() + second.blobs().get(0).size();
        given().get("/api/v1/repositories/sizes/app").then().statusCode(200)
                .body("name", equalTo("sizes/app")).body("tagCount", equalTo(2))
                .body("size", equalTo((int) (configs + shared.size() + own.size())));
        given().get("/api/v1/repositories/sizes/app/tags").then().statusCode(200)
                .body("items.name", contains("one", "two"))
                .body("items[1].size", equalTo((int) (second.size() + second.blobs().get(0).size() + shared.size() + own.size())))
                .body("items[1].pushedBy", equalTo("alice"));
    }

    @Test
    void tagDetailShowsLayersLabelsPlatformsAndReferrers() {
        Blob config = Registry.config("linux", "arm64", Map.of("org.opencontainers.image.source", "https://example.org/app"));
        Blob layer = Registry.layer("layer bytes");
        Manifest image = Registry.image(config, List.of(layer), Map.of("org.opencontainers.image.title", "app"));
        registry.push("detail/app", image, "v1", "alice");
        Manifest signature = Registry.image(Registry.blob("{}", "application/vnd.oci.empty.v1+json"),
                List.of(Registry.blob("signature", "application/vnd.dev.cosign.simplesigning.v1+json")), Map.of(), image,
                "application/vnd.dev.sigstore.bundle.v0.3+json");
        registry.push("detail/app", signature, null, "alice");
        Manifest amd = image("amd", Registry.layer("amd64 layer"));
        Manifest arm = image("arm", Registry.layer("arm layer"));
        registry.push("detail/app", amd, null, "bob");
        registry.push("detail/app", arm, null, "bob");
        Map<Manifest, String> platforms = new LinkedHashMap<>();
        platforms.put(amd, "linux/amd64");
        platforms.put(arm, "linux/arm/v7");
        Manifest index = Registry.index(platforms);
        registry.push("detail/app", index, "multi", "bob");
        registry.awaitApplied(registry.position());

        JsonPath tag = given().get("/api/v1/repositories/detail/app/tags/v1").then().statusCode(200)
                .body("repository", equalTo("detail/app")).body("name", equalTo("v1"))
                .body("digest", equalTo(image.digest())).body("mediaType", equalTo(Registry.OCI_MANIFEST))
                .body("configDigest", equalTo(config.digest()))
                .body("layers[0].digest", equalTo(layer.digest())).body("layers[0].size", equalTo((int) layer.size()))
                .body("annotations.'org.opencontainers.image.title'", equalTo("app"))
                .body("referrers", hasSize(1)).body("referrers[0].digest", equalTo(signature.digest()))
                .body("referrers[0].artifactType", equalTo("application/vnd.dev.sigstore.bundle.v0.3+json"))
                .extract().jsonPath();
        assertThat(tag.getLong("size")).isEqualTo(image.size() + config.size() + layer.size());

        // the config's labels and platform arrive asynchronously (bus request to registry-api)
        awaitLabels("detail/app", "v1");
        given().get("/api/v1/repositories/detail/app/tags/v1").then().statusCode(200)
                .body("labels.'org.opencontainers.image.source'", equalTo("https://example.org/app"))
                .body("platforms", contains("linux/arm64"));

        given().get("/api/v1/repositories/detail/app/tags/multi").then().statusCode(200)
                .body("platforms", contains("linux/amd64", "linux/arm/v7")).body("layers", hasSize(0))
                .body("mediaType", equalTo(Registry.OCI_INDEX));
        given().get("/api/v1/repositories/detail/app/tags/nope").then().statusCode(404)
                .body("errors[0].code", equalTo("MANIFEST_UNKNOWN"));
        given().queryParam("sort", "-pushedAt").get("/api/v1/repositories/detail/app/tags").then().statusCode(200)
                .body("items.name", contains("multi", "v1")).body("total", equalTo(2));
    }

    @Test
    void searchFindsRepositoriesAndTags() {
        registry.push("search/release-notes", image("s1", Registry.layer("s1")), "release-2024", "alice");
        registry.push("search/app", image("s2", Registry.layer("s2")), "prerelease", "alice");
        registry.push("other/thing", image("s3", Registry.layer("s3")), "latest", "alice");
        registry.awaitApplied(registry.position());

        given().queryParam("q", "release").get("/api/v1/search").then().statusCode(200)
                .body("repositories.name", contains("search/release-notes"))
                .body("tags.name", contains("release-2024", "prerelease"))
                .body("tags[0].repository", equalTo("search/release-notes"))
                .body("tags[0]", hasKey("digest"));
        given().queryParam("q", "zzz").get("/api/v1/search").then().statusCode(200)
                .body("repositories", hasSize(0)).body("tags", hasSize(0));
        given().queryParam("q", "s").queryParam("limit", 101).get("/api/v1/search").then().statusCode(400);
    }

    @Test
    void openApiDocumentsTheApi() {
        given().get("/q/openapi").then().statusCode(200)
                .body(containsString("/api/v1/repositories"))
                .body(containsString("/api/v1/search"))
                .body(containsString("/api/v1/admin/rebuild"));
    }

    @Test
    void healthAndMetricsAnswer() {
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        given().get("/api/v1/repositories/unknown").then().statusCode(404).header("Content-Type", containsString("json"))
                .body("errors[0].message", containsString("unknown")).body("errors[1]", nullValue());
    }

    private void awaitLabels(String repository, String tag) {
        long deadline = System.currentTimeMillis() + 30_000;
        while (given().get("/api/v1/repositories/" + repository + "/tags/" + tag).jsonPath().getMap("labels").isEmpty()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("no labels for " + repository + ":" + tag);
            }
            sleep(50);
        }
    }

    static Manifest image(String name, Blob... layers) {
        return Registry.image(Registry.config("linux", "amd64", Map.of("name", name)), List.of(layers), Map.of());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
