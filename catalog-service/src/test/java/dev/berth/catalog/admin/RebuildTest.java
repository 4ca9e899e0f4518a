package dev.berth.catalog.admin;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.berth.catalog.events.EventConsumer;
import dev.berth.catalog.support.CatalogDatabase;
import dev.berth.catalog.support.Registry;
import dev.berth.catalog.support.Registry.Blob;
import dev.berth.catalog.support.Registry.Manifest;
import dev.berth.devtools.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A rebuild from registry-api's tables produces exactly the rows the events produced, and events continue after it. */
@QuarkusTest
@QuarkusTestResource(value = CatalogDatabase.class, restrictToAnnotatedClass = false)
class RebuildTest {
    @Inject
    Vertx vertx;
    @Inject
    EventConsumer consumer;

    Registry registry;

    @BeforeEach
    void setUp() {
        registry = new Registry(vertx);
        registry.reset();
        consumer.wake();
        registry.awaitApplied(0);
    }

    @Test
    void rebuildEqualsTheStateTheEventsProduced() {
        Blob shared = Registry.layer("shared base layer");
        Manifest a1 = image("a1", shared, Registry.layer("a1 own"));
        Manifest a2 = image("a2", shared);
        Manifest amd = image("amd", Registry.layer("amd"));
        Manifest arm = image("arm", Registry.layer("arm"));
        Map<Manifest, String> children = new LinkedHashMap<>();
        children.put(amd, "linux/amd64");
        children.put(arm, "linux/arm64/v8");
        Manifest index = Registry.index(children);
        Manifest sbom = Registry.image(Registry.blob("{}", "application/vnd.oci.empty.v1+json"),
                List.of(Registry.blob("{\"spdxVersion\":\"SPDX-2.3\"}", "application/spdx+json")), Map.of(), a1,
                "application/spdx+json");

        registry.push("rb/app", a1, "1.0", "alice");
        registry.push("rb/app", a2, "1.1", "alice");
        registry.push("rb/app", a2, "latest", "bob");
        registry.push("rb/app", a1, "latest", "carol");          // a tag moved back
        registry.push("rb/app", a1, "latest", "dave");           // and set to where it is: no change
        registry.push("rb/app", sbom, null, "alice");            // a referrer
        registry.push("rb/multi", amd, null, "bob");
        registry.push("rb/multi", arm, null, "bob");
        registry.push("rb/multi", index, "2.0", "bob");
        registry.push("rb/multi", image("old", Registry.layer("old")), "old", "bob");
        registry.deleteTag("rb/multi", "old", "bob");
        Manifest doomed = image("doomed", Registry.layer("doomed"));
        registry.push("rb/app", doomed, "doomed", "alice");
        registry.deleteManifest("rb/app", doomed.digest(), "alice");
        registry.push("rb/gone", image("gone"), "x", "alice");
        registry.deleteRepository("rb/gone", "alice");
        registry.upload("rb/blobs-only", Registry.layer("just a blob"), "alice");
        registry.awaitApplied(registry.position());
        Map<String, List<String>> fromEvents = registry.readModel();
        assertThat(fromEvents.get("repository")).hasSize(3);
        assertThat(fromEvents.get("tag")).hasSize(4);

        // wreck the read model, then rebuild it
        wreck();
        assertThat(registry.readModel()).isNotEqualTo(fromEvents);
        given().post("/api/v1/admin/rebuild").then().statusCode(200)
                .body("repositories", equalTo(3)).body("tags", equalTo(4))
                .body("position", equalTo((int) registry.position()));
        assertThat(registry.readModel()).isEqualTo(fromEvents);
        assertThat(registry.appliedPosition()).isEqualTo(registry.position());

        // events continue from the rebuilt position
        registry.push("rb/app", image("after"), "after", "erin");
        registry.awaitApplied(registry.position());
        given().get("/api/v1/repositories/rb/app/tags/after").then().statusCode(200).body("pushedBy", equalTo("erin"));
    }

    /**
     * The whole outbox applied as one batch (set-based, runs of commuting events) over an emptied read model gives
     * the rows that the events applied one push at a time gave: tags moved back and forth, a repository deleted and
     * created again, a manifest deleted after its push, an index after its children, all in the same batch.
     */
    @Test
    void oneBatchEqualsTheEventsAppliedOneByOne() {
        Manifest a1 = image("b1");
        Manifest a2 = image("b2");
        Manifest amd = image("bamd", Registry.layer("bamd"));
        Map<Manifest, String> children = new LinkedHashMap<>();
        children.put(amd, "linux/amd64");
        Manifest index = Registry.index(children);
        registry.push("batch/app", a1, "latest", "alice");
        registry.push("batch/app", a2, "latest", "bob");
        registry.push("batch/app", a1, "latest", "carol");
        registry.push("batch/app", a2, "other", "carol");
        registry.deleteTag("batch/app", "other", "carol");
        registry.push("batch/app", a2, "other", "dave");
        registry.push("batch/multi", amd, null, "bob");
        registry.push("batch/multi", index, "2.0", "bob");
        Manifest doomed = image("bdoomed");
        registry.push("batch/app", doomed, "doomed", "alice");
        registry.deleteManifest("batch/app", doomed.digest(), "alice");
        registry.push("batch/again", image("g1"), "x", "alice");
        registry.deleteRepository("batch/again", "alice");
        registry.push("batch/again", image("g2"), "y", "erin");
        registry.awaitApplied(registry.position());
        Map<String, List<String>> oneByOne = registry.readModel();
        assertThat(oneByOne.get("tag")).hasSize(4);

        try (Connection c = PostgresTestResource.dataSource().getConnection()) {
            c.createStatement().executeUpdate("delete from catalog.repository");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        registry.rewindConsumer(0);
        consumer.wake();
        registry.awaitApplied(registry.position());
        assertThat(registry.readModel()).isEqualTo(oneByOne);
    }

    @Test
    void eventsAlreadyInTheSnapshotChangeNothingWhenAppliedAfterARebuild() {
        registry.push("overlap/app", image("o1"), "1", "alice");
        registry.push("overlap/app", image("o2"), "2", "alice");
        registry.awaitApplied(registry.position());
        Map<String, List<String>> fromEvents = registry.readModel();
        given().post("/api/v1/admin/rebuild").then().statusCode(200);
        // as if the rebuild's snapshot had held changes whose events were positioned later
        registry.rewindConsumer(0);
        consumer.wake();
        registry.awaitApplied(registry.position());
        assertThat(registry.readModel()).isEqualTo(fromEvents);
    }

    private void wreck() {
        try (Connection c = PostgresTestResource.dataSource().getConnection()) {
            c.createStatement().executeUpdate("delete from catalog.tag where name = '1.0'");
            c.createStatement().executeUpdate("update catalog.repository set size = 1, tag_count = 42");
            c.createStatement().executeUpdate("insert into catalog.repository (name, created_at) values ('stray/repo', now())");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static Manifest image(String name, Blob... layers) {
        return Registry.image(Registry.config("linux", "amd64", Map.of("name", name)),
                layers.length == 0 ? List.of(Registry.layer("layer of " + name)) : List.of(layers), Map.of());
    }
}
