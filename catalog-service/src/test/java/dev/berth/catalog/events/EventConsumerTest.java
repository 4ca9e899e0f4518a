package dev.berth.catalog.events;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

import dev.berth.catalog.support.CatalogDatabase;
import dev.berth.catalog.support.Registry;
import dev.berth.catalog.support.Registry.Manifest;
import dev.berth.core.event.RegistryEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The consumer: events in position order, redeliveries change nothing, a gap is filled from the outbox, the
 * position is reported. The periodic catch-up is off here (1 h), so only the bus drives the consumer.
 */
@QuarkusTest
@TestProfile(SlowCatchUpProfile.class)
@QuarkusTestResource(value = CatalogDatabase.class, restrictToAnnotatedClass = false)
class EventConsumerTest {
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
        registry.awaitApplied(0);
        blobReads = registry.answerBlobReads();
    }

    @AfterEach
    void tearDown() {
        blobReads.unregister();
    }

    @Test
    void redeliveredEventsChangeNothing() {
        List<RegistryEvent> events = new ArrayList<>();
        Manifest one = image("one");
        Manifest two = image("two");
        events.addAll(registry.push("redeliver/app", one, "latest", "alice"));
        events.addAll(registry.push("redeliver/app", two, "latest", "bob"));
        events.addAll(registry.deleteTag("redeliver/app", "latest", "bob"));
        events.addAll(registry.push("redeliver/app", one, "stable", "alice"));
        registry.awaitApplied(registry.position());
        var before = registry.readModel();

        // the bus delivers everything again, then a new event to know the redeliveries were handled
        registry.publish(events);
        registry.push("marker/app", image("marker"), "m", "alice");
        registry.awaitApplied(registry.position());
        assertThat(withoutMarker(registry.readModel())).isEqualTo(before);

        // and applying the whole outbox again over the current state changes nothing either
        long position = registry.position();
        var now = registry.readModel();
        registry.rewindConsumer(0);
        consumer.wake();
        registry.awaitApplied(position);
        assertThat(registry.readModel()).isEqualTo(now);
        given().get("/api/v1/repositories/redeliver/app/tags").then().statusCode(200)
                .body("items.name", contains("stable")).body("items[0].pushedBy", equalTo("alice"));
    }

    @Test
    void aGapIsFilledFromTheOutbox() {
        registry.push("gap/app", image("g0"), "v0", "alice");
        registry.awaitApplied(registry.position());
        registry.publish = false;
        registry.push("gap/app", image("g1"), "v1", "alice");
        registry.push("gap/other", image("g2"), "v2", "alice");
        registry.publish = true;
        // the next event on the bus is ahead of the last applied one: the consumer reads the outbox
        registry.push("gap/app", image("g3"), "v3", "alice");
        registry.awaitApplied(registry.position());

        given().get("/api/v1/repositories/gap/app/tags").then().statusCode(200)
                .body("items.name", contains("v0", "v1", "v3"));
        given().get("/api/v1/repositories/gap/other").then().statusCode(200).body("tagCount", equalTo(1));
        // the catch-up reports the position for the relay's pruning
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Long.valueOf(registry.position()).equals(registry.reportedPosition("catalog-service"))) {
            assertThat(System.currentTimeMillis()).as("position reported").isLessThan(deadline);
            sleep(20);
        }
    }

    @Test
    void deletesAreApplied() {
        Manifest keep = image("keep");
        Manifest drop = image("drop");
        registry.push("deletes/app", keep, "keep", "alice");
        registry.push("deletes/app", drop, "drop", "alice");
        registry.push("deletes/app", drop, "drop-too", "alice");
        registry.push("deletes/gone", image("gone"), "x", "alice");
        registry.awaitApplied(registry.position());
        given().get("/api/v1/repositories/deletes/app").then().statusCode(200).body("tagCount", equalTo(3));

        registry.deleteTag("deletes/app", "keep", "bob");
        registry.deleteManifest("deletes/app", drop.digest(), "bob");
        registry.deleteRepository("deletes/gone", "bob");
        registry.awaitApplied(registry.position());

        // the repository stays (as in the registry), with its one remaining manifest's bytes and no tag
        long keepBytes = keep.blobs().stream().mapToLong(Registry.Blob::size).sum();
        given().get("/api/v1/repositories/deletes/app").then().statusCode(200)
                .body("tagCount", equalTo(0)).body("size", equalTo((int) keepBytes));
        given().get("/api/v1/repositories/deletes/gone").then().statusCode(404);
    }

    @Test
    void anEventOfAnUnknownVersionStopsTheConsumerThere() {
        registry.push("version/app", image("v"), "v1", "alice");
        registry.awaitApplied(registry.position());
        long stuck = registry.appendRaw(99, RegistryEvent.REPOSITORY_CREATED, "version/future");
        registry.publish = false;
        registry.push("version/later", image("later"), "v1", "alice");
        consumer.wake();
        // the consumer retries and never skips it: the later event stays unapplied
        registry.awaitApplied(stuck - 1);
        sleep(500);
        assertThat(registry.appliedPosition()).isEqualTo(stuck - 1);
        given().get("/api/v1/repositories/version/later").then().statusCode(404);
    }

    private static Map<String, List<String>> withoutMarker(Map<String, List<String>> model) {
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        model.forEach((table, rows) -> out.put(table, rows.stream().filter(r -> !r.contains("marker/")).toList()));
        return out;
    }

    static Manifest image(String name) {
        return Registry.image(Registry.config("linux", "amd64", Map.of("name", name)),
                List.of(Registry.layer("layer of " + name)), Map.of());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
