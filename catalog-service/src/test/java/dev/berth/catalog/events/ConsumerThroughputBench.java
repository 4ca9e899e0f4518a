package dev.berth.catalog.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.catalog.support.CatalogDatabase;
import dev.berth.catalog.support.Registry;
import dev.berth.catalog.support.Registry.Manifest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a check of speed: how many events per second the consumer applies when catching up a
 * backlog of pushes. Not part of {@code ./mvnw verify} (its name is not a test's); run it on demand with
 * {@code ./mvnw -pl catalog-service -am verify -DskipITs -Dtest=ConsumerThroughputBench
 * -Dsurefire.failIfNoSpecifiedTests=false}; it prints the rate and asserts only that every pushed tag arrived.
 */
@QuarkusTest
@TestProfile(SlowCatchUpProfile.class)
@QuarkusTestResource(value = CatalogDatabase.class, restrictToAnnotatedClass = false)
class ConsumerThroughputBench {
    @Inject
    Vertx vertx;
    @Inject
    EventConsumer consumer;

    @Test
    void catchUpRate() {
        Registry registry = new Registry(vertx);
        registry.reset();
        consumer.wake();
        registry.awaitApplied(0);
        var blobReads = registry.answerBlobReads();
        try {
            registry.publish = false;
            int repositories = Integer.getInteger("throughputRepositories", 50);
            int pushes = Integer.getInteger("throughputPushes", 10);
            for (int r = 0; r < repositories; r++) {
                for (int p = 0; p < pushes; p++) {
                    String id = r + "-" + p;
                    Manifest m = Registry.image(Registry.config("linux", "amd64", Map.of("n", id)),
                            List.of(Registry.layer("a" + id), Registry.layer("b" + id)), Map.of());
                    registry.push("tp" + (r % 10) + "/app" + r, m, "v" + p, "alice");
                    if (p > 0) {
                        // a tag moved: latest follows every push
                        registry.push("tp" + (r % 10) + "/app" + r, m, "latest", "alice");
                    }
                }
            }
            long position = registry.position();
            long started = System.nanoTime();
            consumer.wake();
            registry.awaitApplied(position);
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("CONSUMER THROUGHPUT: %d events in %.2f s = %.0f events/s%n", position, seconds,
                    position / seconds);
            assertThat(registry.readModel().values().stream().mapToInt(List::size).sum()).isPositive();
        } finally {
            blobReads.unregister();
        }
    }
}
