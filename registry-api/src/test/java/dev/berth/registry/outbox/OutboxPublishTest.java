package dev.berth.registry.outbox;

import static dev.berth.registry.support.RegistryTestSupport.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.core.digest.Digest;
import dev.berth.core.event.RegistryEvent;
import dev.berth.core.event.RegistryEventJson;
import dev.berth.core.media.MediaTypes;
import dev.berth.devtools.testing.PostgresTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The application's own relay: what a push writes to the outbox reaches a consumer of {@code berth.events} on
 * the event bus, positioned, in position order, and the relay reports itself in the metrics.
 */
@QuarkusTest
class OutboxPublishTest {
    @Inject
    Vertx vertx;
    @Inject
    OutboxRelay relay;

    /** (position, type) of the repository's outbox rows in position order; position 0 while unpositioned. */
    private static List<String> outbox(String repo) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = PostgresTestResource.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("select coalesce(position, 0), event_type from registry.outbox "
                        + "where repository = ? order by position nulls last")) {
            ps.setString(1, repo);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1) + " " + rs.getString(2));
                }
            }
        }
        return out;
    }

    @Test
    void aPushReachesTheBusInPositionOrder() throws Exception {
        String repo = uniqueRepo("relayed");
        List<RegistryEvent> received = Collections.synchronizedList(new ArrayList<>());
        MessageConsumer<String> consumer = vertx.eventBus().consumer(OutboxRelay.EVENTS_ADDRESS, message -> {
            RegistryEvent event = RegistryEventJson.read(message.body());
            if (event.repository().equals(repo)) {
                received.add(event);
            }
        });
        try {
            String manifest = imageManifest(repo, randomBytes(10));
            putManifest(repo, "v1", MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
            given().delete("/v2/" + repo + "/manifests/" + Digest.sha256Of(manifest)).then().statusCode(202);

            long deadline = System.nanoTime() + 60_000_000_000L;
            while (received.stream().noneMatch(e -> e.type().equals(RegistryEvent.MANIFEST_DELETED))) {
                assertThat(System.nanoTime()).as("waiting for manifest.deleted on the bus").isLessThan(deadline);
                Thread.sleep(10);
            }
        } finally {
            consumer.unregister();
        }
        List<String> outbox = outbox(repo);
        List<String> published;
        synchronized (received) {
            published = received.stream().map(e -> e.position() + " " + e.type()).toList();
        }
        // everything the repository's changes wrote, each once, in position order (the bus is in-process here)
        assertThat(published).isEqualTo(outbox);
        assertThat(received).extracting(RegistryEvent::position).isSorted().doesNotHaveDuplicates().allMatch(p -> p > 0);
        assertThat(received).extracting(RegistryEvent::type).startsWith(RegistryEvent.REPOSITORY_CREATED)
                .contains(RegistryEvent.MANIFEST_PUSHED, RegistryEvent.TAG_UPDATED, RegistryEvent.TAG_DELETED)
                .endsWith(RegistryEvent.MANIFEST_DELETED);

        assertThat(relay.isLeader()).isTrue();
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).containsPattern("(?m)^berth_events_relay_leader(\\{[^}]*\\})? 1\\.0$")
                .containsPattern("(?m)^berth_events_published_total(\\{[^}]*\\})? [1-9]")
                .containsPattern("(?m)^berth_events_backlog(\\{[^}]*\\})? ");
    }
}
