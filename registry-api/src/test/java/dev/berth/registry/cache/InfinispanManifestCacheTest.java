package dev.berth.registry.cache;

import static dev.berth.registry.cache.CacheTestSupport.*;
import static dev.berth.registry.support.RegistryTestSupport.uniqueRepo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.infinispan.InfinispanServer;
import dev.berth.devtools.testing.InfinispanTestResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code registry.cache.type=infinispan} against a real Infinispan server: hits, invalidation on tag moves
 * and deletes, and an outage (the server is stopped and started again) during which the registry keeps
 * serving, stays ready and says the cache is degraded, then uses the cache again.
 */
@QuarkusTest
@TestProfile(InfinispanManifestCacheTest.WithInfinispan.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InfinispanManifestCacheTest {

    public static class WithInfinispan implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("registry.cache.infinispan.retry-interval", "1s",
                    // a slow 2-core machine must not be mistaken for an outage
                    "registry.cache.infinispan.operation-timeout", "3s");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(InfinispanTestResource.class));
        }
    }

    @Inject
    ManifestCache cache;

    @Inject
    MeterRegistry meters;

    @Test
    @Order(1)
    void connectsAndCreatesTheCache() {
        awaitState("ok");
        assertThat(cache.type()).isEqualTo("infinispan");
        JsonPath ready = readiness();
        assertThat(ready.getString("checks.find { it.name == 'manifest-cache' }.data.state")).isEqualTo("ok");
    }

    @Test
    @Order(2)
    void secondGetIsAHit() {
        awaitState("ok");
        String repo = uniqueRepo("cache-ispn");
        String manifest = push(repo, "v1");
        double hits = total(meters, "hit");
        double misses = total(meters, "miss");
        assertServes(repo, "v1", manifest);
        assertThat(total(meters, "miss")).as("first GET misses").isGreaterThan(misses);
        assertServes(repo, "v1", manifest);
        assertServes(repo, digestOf(manifest), manifest);
        assertThat(total(meters, "hit")).as("tag, manifest, manifest").isEqualTo(hits + 3);
    }

    @Test
    @Order(3)
    void tagMoveInvalidates() {
        awaitState("ok");
        String repo = uniqueRepo("cache-ispn");
        String first = push(repo, "latest");
        assertServes(repo, "latest", first);
        assertServes(repo, "latest", first);
        String second = push(repo, "latest");
        assertServes(repo, "latest", second);
        assertServes(repo, "latest", second);
        assertServes(repo, digestOf(first), first);
    }

    @Test
    @Order(4)
    void deletesInvalidate() {
        awaitState("ok");
        String repo = uniqueRepo("cache-ispn");
        String manifest = push(repo, "v1");
        given().contentType("application/vnd.oci.image.manifest.v1+json").body(manifest)
                .put("/v2/" + repo + "/manifests/v2").then().statusCode(201);
        double hits = total(meters, "hit");
        for (String ref : new String[] {"v1", "v2", digestOf(manifest), "v1", "v2", digestOf(manifest)}) {
            assertServes(repo, ref, manifest);
        }
        assertThat(total(meters, "hit")).as("cached before the deletes").isGreaterThan(hits);

        delete(repo, "v1");
        assertUnknown(repo, "v1");
        assertServes(repo, "v2", manifest);
        delete(repo, digestOf(manifest));
        assertUnknown(repo, digestOf(manifest));
        assertUnknown(repo, "v2");
    }

    @Test
    @Order(5)
    void outageIsServedFromPostgresAndTheCacheIsUsedAgainAfterwards() {
        awaitState("ok");
        String repo = uniqueRepo("cache-outage");
        String manifest = push(repo, "v1");
        String moved = push(repo, "v2");
        assertServes(repo, "v1", manifest);
        assertServes(repo, "v1", manifest);

        InfinispanServer server = InfinispanTestResource.server();
        try {
            server.stop();
            double errors = total(meters, "error");
            for (int i = 0; i < 5; i++) {
                assertServes(repo, "v1", manifest);
                assertServes(repo, digestOf(manifest), manifest);
            }
            assertThat(total(meters, "error")).as("the first lookups fail, then the cache is bypassed")
                    .isGreaterThan(errors);
            assertThat(total(meters, "bypass")).isPositive();
            JsonPath ready = readiness();
            assertThat(ready.getString("status")).as("still ready without the cache").isEqualTo("UP");
            assertThat(ready.getString("checks.find { it.name == 'manifest-cache' }.data.state")).isEqualTo("degraded");

            // changes while the cache is away: remembered, written when it is back
            given().contentType("application/vnd.oci.image.manifest.v1+json").body(moved)
                    .put("/v2/" + repo + "/manifests/v1").then().statusCode(201);
            assertServes(repo, "v1", moved);
            delete(repo, "v2");
            assertUnknown(repo, "v2");
            assertThat(cache.state().pendingInvalidations()).isEqualTo(2);
        } finally {
            server.restart();
        }
        awaitState("ok");
        assertThat(cache.state().pendingInvalidations()).isZero();
        assertThat(readiness().getString("checks.find { it.name == 'manifest-cache' }.data.state")).isEqualTo("ok");

        String fresh = push(repo, "v3");
        double hits = total(meters, "hit");
        assertServes(repo, "v3", fresh);
        assertServes(repo, "v3", fresh);
        assertThat(total(meters, "hit")).as("the cache is used again").isEqualTo(hits + 2);
        assertServes(repo, "v1", moved);
        assertUnknown(repo, "v2");
    }

    private static JsonPath readiness() {
        return given().get("/q/health/ready").then().statusCode(200).extract().jsonPath();
    }

    private void awaitState(String state) {
        await(() -> cache.state().name().equals(state), Duration.ofSeconds(60),
                () -> "manifest cache state " + cache.state() + ", expected " + state);
    }

    private static void await(BooleanSupplier condition, Duration limit, java.util.function.Supplier<String> message) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(message.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
